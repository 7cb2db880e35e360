"""Browsing the FAQ with buttons: sections → questions → answer; /start and /help texts."""

from __future__ import annotations

from bot.callbacks import Flow, build
from bot.services import Services
from bot.services.checks import guided as checks
from bot.services.faq.answers import entry_reply
from bot.services.people import menu
from bot.services.shared.replies import Button, Reply

PROGRAMME_SECTION = "P"

# The popular topics on /start: (label in texts.yaml, entry id or section)
START_TOPICS = (
    ("start_topic_traject", "faq-0-1"),
    ("start_topic_candidates", "faq-1-1"),
    ("start_topic_divisions", "faq-2-1"),
    ("start_topic_cofinancing", "faq-5-1"),
    ("start_topic_glossary", "sec:9"),
)


def section_title(services: Services, section: str) -> str:
    if section == PROGRAMME_SECTION:
        return services.renderer.text("faq_programme_section")
    return services.kb.sources.section_titles.get(section, section)


def start_reply(services: Services, first_name: str | None) -> Reply:
    buttons = []
    for key, target in START_TOPICS:
        label = services.renderer.text(key)
        if target.startswith("sec:"):
            buttons.append(Button(label, build(Flow.FAQ, "sec", target.removeprefix("sec:"))))
        elif target in services.kb.by_id:
            buttons.append(Button(label, build(Flow.QA, "rel", target)))
    buttons.append(Button(services.renderer.text("start_all_questions"), build(Flow.FAQ, "home")))
    buttons += [checks.start_button(services, c) for c in services.kb.checks.values()]
    text = services.renderer.render("common/start.html.j2", first_name=first_name)
    return Reply.column(text, buttons)


def help_reply(services: Services, role: str | None, bot_username: str) -> Reply:
    """How the bot works, with the commands of the user's role (menu.COMMANDS)."""
    checks = {c.command for c in services.kb.checks.values()}
    general = ("start", "faq", "ik", "help")
    work = [
        (name, text)
        for name, text in menu.commands_for(services, role)
        if name not in checks and name not in general
    ]
    return Reply(
        services.renderer.render(
            "common/help.html.j2",
            work=work,
            registered=role is not None,
            bot_username=bot_username,
        )
    )


def sections_reply(services: Services) -> Reply:
    buttons = []
    for section in services.kb.sections:
        prefix = "" if section.section == PROGRAMME_SECTION else f"{section.section}. "
        label = f"{prefix}{section_title(services, section.section)}"
        buttons.append(
            Button(f"{label} ({len(section.entries)})", build(Flow.FAQ, "sec", section.section))
        )
    return Reply.column(services.renderer.render("faq/sections.html.j2"), buttons)


def section_reply(services: Services, section_id: str) -> Reply | None:
    section = next((s for s in services.kb.sections if s.section == section_id), None)
    if section is None:
        return None
    buttons = []
    for entry in section.entries:
        number = entry.faq_numbers[0] if entry.id.startswith("faq-") else ""
        label = f"{number} {entry.title}".strip()
        buttons.append(Button(label, build(Flow.FAQ, "ent", entry.id)))
    buttons.append(Button(services.renderer.text("back_to_sections"), build(Flow.FAQ, "home")))
    text = services.renderer.render(
        "faq/section.html.j2", title=section_title(services, section_id)
    )
    return Reply.column(text, buttons)


def browse_entry_reply(services: Services, entry_id: str) -> Reply | None:
    if entry_id not in services.kb.by_id:
        return None
    return entry_reply(services, entry_id, back=True)
