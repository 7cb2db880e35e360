"""Questions about the programme's own data, recognised in free text next to the FAQ matcher:
"in welke divisie zit Zuid-Limburg", "hoe staat onze regio ervoor", "hoeveel lopende
trajecten heb ik".

Pure: text in, a `DataQuestion` (or None) out; the bot answers it from the database
(bot/services/faq/data_answers.py). A question counts as a data question only when it names
what it is about (a region, "onze regio", the whole country, or "ik"/"mijn" for trajectories)
*and* asks for a figure or a fact (which division, what target, how many, how is it going). A
question about a rule ("wat gebeurt er als we het doel niet halen?", "telt dit als traject?")
stays with the FAQ, even when it names a region: that is how data questions never take answers
away from FAQ questions (docs/data_questions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import DamerauLevenshtein

from knowledge.models import Regions
from knowledge.text import tokens

OWN = "own"  # the asker's own region


class DataKind(StrEnum):
    REGION_FACTS = "region"  # the division and the target of a region in a year
    DIVISION_REGIONS = "division"  # the regions of a division in a year
    REGION_PROGRESS = "progress"  # a region's figures: started, paid work, against the target
    NATIONAL_PROGRESS = "national"  # the same for the whole country
    MY_RUNNING = "running"  # how many trajectories the asker has running
    MY_STALE = "stale"  # the asker's trajectories without an update for a while


@dataclass(frozen=True)
class DataQuestion:
    kind: DataKind
    region: str | None = None  # a region code, OWN, or None
    # a division id (DIVISION_REGIONS, or "zit AM18 in …?"); DIVISION_REGIONS without one:
    # all divisions, or (region OWN) the asker's region's division
    division: str | None = None
    year_offset: int = 0  # relative to this year (dit jaar 0, vorig jaar -1)
    year: int | None = None  # an explicit year ("in 2025"); wins over the offset
    focus: str | None = None  # REGION_FACTS: "division" or "target"; progress: "paid"
    days: int = 30  # MY_STALE: no update for this many days

    def year_in(self, this_year: int) -> int:
        return self.year if self.year is not None else this_year + self.year_offset


# -- cues (on folded text) ----------------------------------------------------------------------

# Short forms staff type, written out before anything else looks at the words.
_SHORT = {
    "traj": "trajecten",
    "trajs": "trajecten",
    "jr": "jaar",
    "nl": "nederland",
    "mnd": "maanden",
    "mnden": "maanden",
    "doelst": "doelstelling",
    "wk": "weken",
    "wkn": "weken",
    "vs": "tegenover",
    "tov": "tegenover",
}
_RULE = re.compile(
    r"\b(?:wat (?:als|gebeurt|betekent|houdt|is het gevolg|zijn de gevolgen|moet|moeten|doet|"
    r"doen|wordt|zegt)|waarom|why|what happen\w*|what (?:if|does|do)|klopt|"
    r"how (?!many\b|much\b|far\b|is\b|are\b|does\b)\w+|count|counts|counted|"
    r"(?:project|programma) (?:\w+ ){0,3}(?:begonnen|gestart|van start)|"
    r"even (?:tho|though|if)|although|ook al|hoewel|ondanks|"
    r"hoe (?!sta\w*\b|ver\b|gaat\b|doet\b|doen\b|groot\b|veel\b|lang\b|hoog\b|"
    r"het (?:met|gaat|loopt)\b)\w+|"
    r"wie (?:bepaalt|beslist|kiest|betaalt|contracteert|huurt|sluit)|"
    r"wanneer (?:moet|moeten|mag|mogen|kan|kunnen|is het)|waar (?:vind|krijg|staat|kan)|bij wie|"
    r"op welke (?:wijze|manier|basis)|indeling wordt|besloten|terecht|"
    r"mag|mogen|telt|tellen|kan|kun|kunt|kunnen|moet ik|waarop|waardoor|"
    r"wanneer (?:wordt|worden)|niet (?:haalt|halen|gehaald)|haalbaar|inschatten|boete|"
    r"sanctie|consequentie|gevolg|verplicht\w*|eis|eisen|harde|uitleggen|uitleg|onderbouwing|"
    r"grondslag|criteria|criterium|reden|redenen)\b|"
    r"\bwil\w*\b(?:\s+\w+){0,6}\s+(?:begeleiden|bereiken|helpen|realiseren|plaatsen)\b"
)
# What the bot's data does not hold, even when the question names a region and a number.
_NOT_OUR_DATA = re.compile(
    r"\b(?:geld|euro|bedrag|budget|subsidie|kost\w*|gekost|betaalt|betalen|begroting|"
    r"maximum|maximaal|financ\w*|cofinanc\w*|vergoeding\w*|fte|uren|vakantiedagen|"
    r"verlofdagen|begeleiders|trajectbegeleiders|ervaringsdeskundigen|wonen|inwoners|"
    r"doelgroep|aandoening\w*|benchmark|onderzoek\w*|fact teams?|monitor|format|capaciteit|"
    r"vrijmaken|formatie|uur|procesregisseur\w*|procesondersteun\w*|rapporter\w*|"
    r"aanleveren|afspraken|inkoop|inkopen|intake\w*|\w*formulier\w*|plan van aanpak|max|"
    r"vanavond|wedstrijd\w*|voetbal\w*|uitslag\w*)\b"
)
_DIVISION_WORD = re.compile(r"\b(?:div\w*|competitie|klasse|poule|league)\b")
_TARGET = re.compile(
    r"\b(?:\w*doel|doelen|\w*doelstelling\w*|\w*targets?|streefcijfer|streefaantal|streefgetal|"
    r"taakstelling|de lat|"
    r"ambitie|norm)\b|\bmoet(?:en)?\b.*\b(?:halen|realiseren|starten|behalen|doen)\b"
)
# "hoe onze regio het vorig jaar gedaan heeft", "hoe presteert Twente": how it went, not a rule
_HOW_DONE = (
    r"\bhoe\b(?: \w+){0,6} (?:gedaan|presteert|presteren|gepresteerd|scoort|scoren|scoorde|"
    r"scoorden)\b"
)
# "vergeleken met het doel", "t.o.v. de target", "ten opzichte van de ambitie"
_AGAINST_TARGET = (
    r"\b(?:vergeleken met|tegenover|afgezet tegen|ten opzichte van)(?: \w+){0,3} "
    r"(?:\w*doel\w*|\w*targets?|ambitie|streef\w*|norm)\b"
)
# Where it stands: "waar staan we", "over de helft van ons doel", "beter dan vorig jaar", "hoeveel
# moet Venlo nog starten"
_SO_FAR = (
    r"\bwaar sta\w* (?:we|wij|ze|jullie)\b|\bover de helft\b|"
    r"\bbeter (?:\w+ ){0,3}dan (?:vorig|in)\b|\bnog (?:\w+ ){0,2}(?:starten|halen|nodig)\b"
)
_PROGRESS = re.compile(
    r"\bhoeveel\b.*\b(?:traject\w*|gestart\w*|begonnen|plaatsing\w*|geplaatst|betaald werk|"
    r"werk gevonden|aan het werk|aan de slag|een baan gevonden|gerealiseerd|uitgestroomd|"
    r"uitstroom)\b|"
    r"\bhoeveel\b.*\b(?:betaalde? baan|aan (?:het )?werk geholpen|aan een baan geholpen)\b|"
    r"\bhoe sta\w*\b|\bsta\w* .{0,40}\bervoor\b|\bvoortgang\b|\bstand\b|\bhoe ?ver\b|"
    r"\bop schema\b|\bop koers\b|\bachter ?stand\b|\bvoor ?lopen\b|\bhalen (?:we|wij|ze)\b|"
    r"\bnog te gaan\b|\brealisatie\b|\bverhouding\b|" + _AGAINST_TARGET + "|" + _SO_FAR + "|"
    r"\b(?:procent|percentage)\b.*\b(?:gehaald|bereikt|gerealiseerd)\b|" + _HOW_DONE + "|"
    r"\bhoe gaat het met\b|\bhoe doet\b|\bhow (?:is|are|does)\b.*\bdoing\b|\bprogress\b|"
    r"\bon (?:track|schedule)\b|\bloopt\b.*\bachter\b|"
    r"\bhow many\b.*\b(?:trajector\w*|started|placements|placed|paid work|jobs?)\b"
)
# A figure named without a question word ("plaatsingen Zwolle 2024", "landelijke cijfers
# 2024"): a data question with a year, or about a region named by name or code.
_MEASURE = re.compile(
    r"\b(?:plaatsingen|trajecten|cijfers|aantallen|aantal|starts|figures|numbers|totaal|"
    r"totalen|gestart\w*|started|placed|percentage|optelsom|opgeteld|resultaten|score|beeld)\b"
)
_STRONG_PROGRESS = re.compile(
    r"\bhoe sta\w*\b|\bsta\w* .{0,40}\bervoor\b|\bstand\b|\bop schema\b|\bop koers\b|"
    r"\bvoortgang\b|\bhoe doet\b|\bdoing\b|\bprogress\b|\bhoe ?ver\b|\bon (?:track|schedule)\b|"
    r"\bnog te gaan\b|\brealisatie\b|\bverhouding\b|" + _AGAINST_TARGET + "|" + _SO_FAR + "|"
    r"\bstartte\b|\bstartten\b|" + _HOW_DONE + "|"
    r"\bhalen (?:we|wij|ze)\b|\bgestart\w*\b|\bgerealiseerd\b|\bloopt\b.*\bachter\b"
)
_PAID = re.compile(
    r"\b(?:betaald werk|werk gevonden|aan het werk|een baan|banen|geplaatst|"
    r"plaatsing\w*|aan de slag|betaalde baan|paid work|jobs?|placed|placements|uitgestroomd|"
    r"uitstroom)\b"
)
# "alle regio's", "alle 35 arbeidsmarktregio's": the regions added up
_ALL_REGION_WORDS = r"alle (?:\d+ )?(?:regios|regio s|arbeidsmarktregios)"
_NATIONAL = re.compile(
    r"\b(?:landelijk\w*|nationaal|national\w*|nationwide|(?:heel |in )?nederland|netherlands|"
    r"het hele land|heel het land|als land|" + _ALL_REGION_WORDS + "|"
    r"in totaal|totaal)\b"
)
# The regions added up: the bot's own figures, even without a year
_ALL_REGIONS = re.compile(r"\b(?:" + _ALL_REGION_WORDS + r"|optelsom)\b")
_OWN_REGION = re.compile(
    r"\b(?:onze|mijn|ons|m?n) (?:eigen )?(?:arbeidsmarkt)?(?:regio|amr)\b|\bbij ons\b|"
    r"\bons werkgebied\b|\bour region\b|\bmy region\b"
)
# "we"/"wij" as the region: only with a year or a progress word (else a rule question:
# "hoeveel trajecten moeten we als regio per jaar halen?")
_WE = re.compile(r"\b(?:we|wij|ons|onze|our|we re)\b")
_MINE = re.compile(
    r"\bheb ik\b|\bik (?:\w+ )?heb\b|\bdo i have\b|\bi have\b|\bmy\b|\bam i\b|\bi am\b|"
    r"\bik\b|\bmijn\b|\bvan mij\b|\bme\b|\bmij\b"
)
# "Mine" for counting running trajectories: the asker's own caseload, not any "ik" or "mijn"
# ("mijn wethouder vraagt hoeveel …").
_MINE_STRICT = re.compile(
    r"\bheb ik\b|\bik (?:\w+ )?heb\b|\bik (?:\w+ )?begeleid\w*|\bbegeleid ik\b|\bdie ik\b|"
    r"\bmijn (?:\w+ ){0,2}(?:traject\w*|kandi\w*|caseload|mensen|dossiers?|clienten|deelnemers)\b|"
    r"\bop mijn naam\b|\bik (?:\w+ )?draai\w*\b|"
    r"\bvan mij\b|\bmij\b|\bdo i have\b|\bam i\b|\bi (?:have|am)\b|\bmy (?:\w+ )?(?:cases|"
    r"trajector\w*|candidates|caseload)\b"
)
_RUNNING = re.compile(
    r"\b(?:lopend\w*|lopen|actie\w*|open\w*|hoeveel|nog bezig|running|active|how many|"
    r"caseload|in begeleiding|in (?:een )?traject|niet afgesloten|draai|draaien)\b"
)
_STALE = re.compile(
    r"\bgeen (?:\w+ )?(?:\w*update\w*|wijziging\w*|nieuws|mutatie\w*)\b|\bachterstallig\w*|"
    r"\bzonder (?:\w+ )?(?:update\w*|wijziging\w*|mutatie\w*)\b|"
    r"\bniet (?:meer )?(?:\w+ )?(?:heb |hebben |zijn |is )?(?:bijgewerkt|aangepast|geupdatet|"
    r"geupdate|ge updatet)\b|\blaatste (?:wijziging|update|aanpassing|mutatie)\b|"
    r"\blang niet\b|\bal lang\b|\bbij ?werken\b|\bverouderd\w*\b|"
    r"\bstil ?gelegen\b|\bstaan stil\b|\bstil ?staan\b|\bstil ?liggen\b|\bachter ?lopen\b|"
    r"\bvergeten\b|\bniet (?:meer )?(?:\w+ )?(?:heb )?aangeraakt\b|"
    r"\b(?:niks|niets) (?:\w+ ){0,3}(?:gezet|gedaan|ingevuld|bijgewerkt|veranderd|gebeurd|"
    r"geregistreerd|vastgelegd|genoteerd|aangepast)\b|"
    r"\bnot (?:been )?updated\b|\bhavent been updated\b|\bno update\w*\b|\bstale\b"
)
_STALE_LIST = re.compile(
    r"\b(?:welke|which|zijn er|lijst|overzicht|toon|laat|any|heb ik|stale)\b|\bmy\b|\bmijn\b"
)
_TRAJECT = re.compile(
    r"\btra[jc]\w*\b|\bkandi\w*|\bdeelnemers\b|\bclienten\b|\bdossiers?\b|\bcaseload\b|"
    r"\bcases\b|\bcandidates\b|\bplaatsingen\b"
)
_PEOPLE = re.compile(r"\bmensen\b|\bpeople\b")
_PERIOD = re.compile(
    r"\b(?:(\d{1,3})|een|twee|drie|vier|zes)\s+(dag|dagen|days|week|weken|weeks|maand|maanden|"
    r"months?|kwartaal|kwartalen)\b"
)
_NUMBERS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "zes": 6}
_UNIT_DAYS = {
    "dag": 1,
    "dagen": 1,
    "days": 1,
    "week": 7,
    "weken": 7,
    "weeks": 7,
    "maand": 30,
    "maanden": 30,
    "month": 30,
    "months": 30,
    "kwartaal": 91,
    "kwartalen": 91,
}
_YEAR = re.compile(r"\b(20[1-4]\d)\b")
_LAST_YEAR = re.compile(r"\b(?:vorig|vorige|afgelopen|verleden) jaar\b|\blast year\b")
_NEXT_YEAR = re.compile(r"\b(?:volgend|volgende|komend|komende) jaar\b|\bnext year\b")
_DONE = re.compile(r"\b(?:gestart\w*|gehaald|begonnen|al)\b")
_CODE = re.compile(r"\bam ?(\d{1,2})\b")
_REGIONS_WORD = re.compile(r"\b(?:regio|regios|amrs?|arbeidsmarktregios|regions?)\b")
_WHICH_REGIONS = re.compile(
    r"\b(?:welke|which|overzicht|lijst|list|noem|show)\b.*" + _REGIONS_WORD.pattern + "|"
    r"\bwie (?:zit|zitten|zaten|speelt|spelen|speelden) (?:er )?(?:\w+ ){0,3}in\b|"
    r"\b(?:zijn|zitten) er\b.*" + _REGIONS_WORD.pattern
)
# A yes/no question about a rule starts with a modal verb: "Moeten we in 2021 al 100 halen?",
# "Gelden de aantallen dan toch?" (checked per sentence).
_MODAL_START = re.compile(
    r"^\s*(?:moet|moeten|moest|moesten|mag|mogen|kan|kunnen|klopt|gelden|geldt|telt|tellen|"
    r"can|may|must|should|do|did|will|would)\b"
)
_SAME_DIVISION = re.compile(
    r"\b(?:dezelfde|zelfde|samen met|net als|nog meer|ook|andere|same|who else)\b|"
    r"\bbij (?:\w+ ){1,3}in de div\w*\b"
)
_OWN_DIVISION = re.compile(
    r"\b(?:onze|ons|mijn) div\w*\b|\b(?:samen met|naast) (?:ons|wij|onze)\b"
)
_ALL_DIVISIONS = re.compile(
    r"\b(?:indeling|overzicht|per divisie|alle divisies|alle drie|verdeling|verdeeld)\b"
)
# Where a sentence ends (a full stop only before a capital: "traj. moet" is one sentence).
_SENTENCE_END = re.compile(r"[?!;:]|\.\s+(?=[A-Z])")
_MODAL_WE = re.compile(r"\bmoe(?:t|ten|st|sten) (?:we|wij|ze|jullie|een regio|de regio|ik)\b")
# The bot's figures are per year: a national question names the year or the bot's record.
_DATED = re.compile(
    r"\b20[1-4]\d\b|\b(?:dit|huidige?|vorig|vorige|afgelopen|verleden) jaar\b|\bstand\b|"
    r"\btot (?:nu|nog) toe\b|\btot dusver\b|\bsinds januari\b|"
    r"\bin de bot\b|\bgeregistreerd\b|\bop schema\b|\bop koers\b|\b(?:this|last) year\b|"
    r"\bnationally\b"
)
# Names that the divisions go by in the FAQ and in speech, folded.
_DIVISION_ALIASES = {
    "champions-league": ("champions league", "championsleague", "cl"),
    "eredivisie": ("eredivisie", "ere divisie", "ed"),
    "keuken-kampioen-divisie": (
        "keuken kampioen divisie",
        "keukenkampioen divisie",
        "keukenkampioendivisie",
        "kkd",
        "eerste divisie",
    ),
}
# Names people use for a region that are neither its name nor its centrumgemeente.
_EXTRA_ALIASES = {
    "den haag": "AM21",
    "den bosch": "AM27",
    "rotterdam rijnmond": "AM22",
    "fryslan": "AM02",  # the Frisian name
    # the big cities' nicknames
    "mokum": "AM18",
    "dordt": "AM23",
    "domstad": "AM13",
    "gorcum": "AM35",
    "parkstad": "AM30",
}
# A typed region name of 6+ letters with typos: Damerau-Levenshtein similarity ("zuid limbrug",
# "rijnmnod", "tilberg").
FUZZY_MIN = 0.85


# A polite frame around the question ("kun je me … vertellen", "mag ik … hebben"): the frame
# goes, what it holds stays.
_POLITE = re.compile(
    r"\b(?:(?:kun|kan|kunt) (?:je|jij|u)|mag ik|wil (?:je|jij|u))\b(?P<middle>(?: \w+){0,12}?) "
    r"(?:vertellen|zeggen|laten zien|opzoeken|nagaan|checken|tellen|geven|sturen|noemen|"
    r"opsommen|tonen|laten weten|hebben|krijgen|ontvangen|opvragen)\b|"
    r"\b(?:weet (?:je|jij|u)|mag ik)\b"
)


def _plain(text: str) -> str:
    """Folded, with the words of `tokens` separated by single spaces, short forms written
    out ("traj" → "trajecten", "t.o.v." → "tegenover")."""
    return _SPELLED.sub(" tegenover ", " ".join(_SHORT.get(t, t) for t in tokens(text)))


_SPELLED = re.compile(r"t o v")


class DataQuestionParser:
    """Recognises data questions about the regions and divisions of one knowledge base."""

    def __init__(self, regions: Regions) -> None:
        self.codes = {r.code for r in regions.regions}
        aliases: dict[str, str] = {}
        for r in regions.regions:
            for name in (r.name, r.centrumgemeente):
                aliases[_plain(name)] = r.code
            # "Zaanstreek/Waterland", "Stedendriehoek en Noordwest Veluwe": each half too (of
            # six letters or more: "Gooi" alone is also a verb)
            for half in re.split(r"/| en ", r.name):
                if half != r.name and len(half.strip()) >= 6:
                    aliases.setdefault(_plain(half), r.code)
        for alias, code in _EXTRA_ALIASES.items():
            if code in self.codes:
                aliases.setdefault(alias, code)
        self.aliases = aliases
        self.max_words = max(len(a.split()) for a in aliases)
        self.divisions = {d.id for d in regions.divisions}

    # -- the parts -------------------------------------------------------------------------

    def region_in(self, text: str) -> str | None:
        """A region code, OWN ("onze regio"), or None. Codes ("AM18", "am 18"), names and
        centrumgemeenten, with typos in names of 6+ letters."""
        return self._region(_plain(text))

    # The parts below read the text as `_plain` gives it: `parse` folds a question once.

    def _region(self, plain: str) -> str | None:
        m = _CODE.search(plain)
        if m is not None:
            code = f"AM{int(m.group(1)):02d}"
            if code in self.codes:
                return code
        words = plain.split()
        best: tuple[float, int, str] | None = None
        for n in range(self.max_words, 0, -1):
            for i in range(len(words) - n + 1):
                window = " ".join(words[i : i + n])
                found = self.aliases.get(window)
                if found is not None:
                    return found
                if len(window) < 6:
                    continue
                for alias, alias_code in self.aliases.items():
                    if alias[0] != window[0] or abs(len(alias) - len(window)) > 2:
                        continue
                    score = DamerauLevenshtein.normalized_similarity(window, alias)
                    if score >= FUZZY_MIN and (best is None or score > best[0]):
                        best = (score, n, alias_code)
        if best is not None:
            return best[2]
        return OWN if _OWN_REGION.search(plain) else None

    def _division(self, plain: str) -> str | None:
        padded = f" {plain} "
        for division, names in _DIVISION_ALIASES.items():
            if division in self.divisions and any(f" {n} " in padded for n in names):
                return division
        return None

    @staticmethod
    def _year(plain: str) -> tuple[int | None, int]:
        """(explicit year or None, offset from this year)."""
        m = _YEAR.search(plain)
        if m is not None:
            return int(m.group(1)), 0
        if _LAST_YEAR.search(plain):
            return None, -1
        if _NEXT_YEAR.search(plain):
            return None, 1
        return None, 0

    @staticmethod
    def _days(plain: str) -> int:
        m = _PERIOD.search(plain)
        if m is None:
            return 182 if "half jaar" in plain else 30
        amount = int(m.group(1)) if m.group(1) else _NUMBERS.get(m.group(0).split()[0], 1)
        return max(1, min(365, amount * _UNIT_DAYS[m.group(2)]))

    # -- the question ----------------------------------------------------------------------

    def kind_and_region(self, text: str) -> tuple[str, str | None] | None:
        """(kind, region) as the evaluation sets write them, or None."""
        dq = self.parse(text)
        return None if dq is None else (dq.kind.value, dq.region)

    def parse(self, text: str) -> DataQuestion | None:
        folded = _plain(text)
        plain = _POLITE.sub(lambda m: f" {m.group('middle') or ''} ", folded)
        if not plain.strip() or _NOT_OUR_DATA.search(plain):
            return None
        year, offset = self._year(folded)
        mine = bool(_MINE.search(plain))
        traject = bool(_TRAJECT.search(plain)) or (mine and bool(_PEOPLE.search(plain)))
        rule = bool(_RULE.search(re.sub(_HOW_DONE, " ", plain))) or any(
            _MODAL_START.search(_plain(sentence)) for sentence in _SENTENCE_END.split(text)
        )
        if _MODAL_WE.search(plain) and not re.search(r"\b(?:hoeveel|how many)\b", plain):
            rule = True
        if (
            _STALE.search(plain)
            and traject
            and (_STALE_LIST.search(plain) or not rule)
            and not re.search(r"\bhoe (?:vaak|moet)\b|\bhow often\b", plain)
        ):
            return DataQuestion(DataKind.MY_STALE, days=self._days(folded))
        if rule:
            return None
        region = self._region(folded)
        strict = bool(_MINE_STRICT.search(plain))
        words = len(plain.split())
        if strict and traject and (_RUNNING.search(plain) or words <= 3) and region in (None, OWN):
            return DataQuestion(DataKind.MY_RUNNING)
        division = self._division(folded)
        dated = bool(_DATED.search(plain))
        listing = bool(_WHICH_REGIONS.search(plain)) or (
            # "CL regio's vorig jaar?", "ED regio's 2026", "CL regio's?"
            bool(_REGIONS_WORD.search(plain)) and ((dated and words <= 5) or words <= 3)
        )
        if _OWN_DIVISION.search(plain) and region is None and (listing or "wie" in plain.split()):
            # "welke regio's zaten samen met ons in de Eredivisie", "wie zitten er nog meer in
            # onze divisie?"
            return DataQuestion(DataKind.DIVISION_REGIONS, OWN, None, offset, year)
        if division is not None and region is None and listing:
            return DataQuestion(DataKind.DIVISION_REGIONS, None, division, offset, year)
        if (
            region not in (None, OWN)
            and (division is not None or _DIVISION_WORD.search(plain))
            and _SAME_DIVISION.search(plain)
            and (listing or re.search(r"\bwho else\b|\bwelke\b", plain))
        ):
            # "noem de regio's die net als Zuid-Holland Centraal in de eredivisie zitten",
            # "who else is in the same league as Drenthe?"
            return DataQuestion(DataKind.DIVISION_REGIONS, region, None, offset, year)
        if division is None and _DIVISION_WORD.search(plain):
            # "met welke regio's zitten wij in dezelfde divisie?", "welke regio's zitten in
            # dezelfde divisie als Zeeland?"
            if _SAME_DIVISION.search(plain) and (region in (None, OWN) or listing):
                return DataQuestion(DataKind.DIVISION_REGIONS, region or OWN, None, offset, year)
            # "een overzicht van de indeling per divisie"
            if region is None and _ALL_DIVISIONS.search(plain):
                return DataQuestion(DataKind.DIVISION_REGIONS, None, None, offset, year)
        measure = bool(_MEASURE.search(plain))
        progress = bool(_PROGRESS.search(plain))
        target = bool(_TARGET.search(plain))
        # "we"/"wij" as the region: "halen we de 100 dit jaar?", "hoeveel plaatsingen hebben
        # wij vorig jaar gedaan" (not "hoeveel moeten we als regio per jaar halen?": no year)
        if (
            region is None
            and _WE.search(plain)
            and not _NATIONAL.search(plain)
            and (progress or target or measure)
            and (dated or _STRONG_PROGRESS.search(plain))
        ):
            region = OWN
        if (
            region is None
            and _WE.search(plain)
            and (division is not None or _DIVISION_WORD.search(plain))
            and dated
            and not listing
            and not _NATIONAL.search(plain)
        ):
            # "zitten wij dit jaar in de CL of de ED?" (without a year it is FAQ 2.4's question:
            # how a region's division is decided)
            region = OWN
        if region is not None:
            if _DIVISION_WORD.search(plain) or division is not None:
                return DataQuestion(
                    DataKind.REGION_FACTS, region, division, offset, year, "division"
                )
            if target and not (_STRONG_PROGRESS.search(plain) or _DONE.search(plain)):
                return DataQuestion(DataKind.REGION_FACTS, region, None, offset, year, "target")
            named = region != OWN
            if progress or target or ((measure or _PAID.search(plain)) and (dated or named)):
                paid = "paid" if _PAID.search(plain) else None
                return DataQuestion(DataKind.REGION_PROGRESS, region, None, offset, year, paid)
            return None
        done = bool(re.search(r"\b(?:gestart|geplaatst|gevonden|begonnen)\b", plain))
        national = _NATIONAL.search(plain) and (
            dated or done or _STRONG_PROGRESS.search(plain) or _ALL_REGIONS.search(plain)
        )
        if national and (progress or (measure and not target)):
            paid = "paid" if _PAID.search(plain) else None
            return DataQuestion(DataKind.NATIONAL_PROGRESS, None, None, offset, year, paid)
        return None
