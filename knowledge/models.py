"""Frozen pydantic models for the knowledge base files."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

ENTRY_ID = re.compile(r"^(faq-\d-\d{1,2}|doc-[a-z0-9]+(?:-[a-z0-9]+)*)$")
FAQ_REF = re.compile(r"^faq:(\d)\.(\d{1,2})$")
DOC_REF = re.compile(r"^doc:([\w.-]+)$")
AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

ANSWER_MAX = 900
MORE_MAX = 2000
TITLE_MAX = 60
MIN_ALTERNATIVES = 4


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Entry(_Frozen):
    """One answerable question of the knowledge base."""

    id: str = Field(pattern=ENTRY_ID.pattern)
    refs: tuple[str, ...] = Field(min_length=1)
    title: str = Field(min_length=3, max_length=TITLE_MAX)
    question: str = Field(min_length=5)
    alternatives: tuple[str, ...] = Field(min_length=MIN_ALTERNATIVES)
    answer: str = Field(min_length=10, max_length=ANSWER_MAX)
    more: str | None = Field(default=None, max_length=MORE_MAX)
    as_of: str = Field(pattern=AS_OF.pattern)
    related: tuple[str, ...] = ()

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Every way the entry is asked: its question, its title and the alternatives."""
        return (self.question, self.title, *self.alternatives)

    @field_validator("refs")
    @classmethod
    def _refs_well_formed(cls, refs: tuple[str, ...]) -> tuple[str, ...]:
        for ref in refs:
            if not (FAQ_REF.match(ref) or DOC_REF.match(ref)):
                raise ValueError(f"ref {ref!r} is neither 'faq:N.N' nor 'doc:<file name>'")
        return refs

    @field_validator("alternatives")
    @classmethod
    def _alternatives_not_blank(cls, alts: tuple[str, ...]) -> tuple[str, ...]:
        if any(not a.strip() for a in alts):
            raise ValueError("an alternative phrasing is empty")
        return alts

    @property
    def faq_numbers(self) -> tuple[str, ...]:
        """FAQ numbers this entry rests on, e.g. ('5.10',)."""
        return tuple(ref[4:] for ref in self.refs if ref.startswith("faq:"))

    @property
    def doc_names(self) -> tuple[str, ...]:
        return tuple(ref[4:] for ref in self.refs if ref.startswith("doc:"))


class Section(_Frozen):
    """One YAML file of entries: an FAQ section or the programme documents."""

    section: str = Field(pattern=r"^(\d|P)$")
    title: str = Field(min_length=3)
    entries: tuple[Entry, ...] = Field(min_length=1)


class SynonymGroup(_Frozen):
    canonical: str = Field(min_length=1)
    variants: tuple[str, ...] = Field(min_length=1)


class Synonyms(_Frozen):
    groups: tuple[SynonymGroup, ...]
    stopwords: tuple[str, ...] = ()


class SmallTalkIntent(_Frozen):
    id: str
    patterns: tuple[str, ...] = Field(min_length=1)
    reply: str = Field(min_length=2)


class SmallTalk(_Frozen):
    intents: tuple[SmallTalkIntent, ...]


class OffTopic(_Frozen):
    words: tuple[str, ...] = Field(min_length=1)


class Region(_Frozen):
    code: str = Field(pattern=r"^AM\d{2}$")
    name: str
    centrumgemeente: str


class Division(_Frozen):
    id: str = Field(pattern=r"^[a-z-]+$")
    name: str


class Regions(_Frozen):
    divisions: tuple[Division, ...] = Field(min_length=1)
    regions: tuple[Region, ...] = Field(min_length=35, max_length=35)
