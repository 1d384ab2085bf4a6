"""The seed-text parser: one scraped article (``seeds/*.txt``) in, a :class:`SeedArticle` out.

Pure (layer 2): bytes or text in, objects and :class:`Diagnostic` objects out; no file system.
The seed layout and its real-world variations are described in ``docs/product.md``::

    # *Title*                      header: the first line before the first ``---``
    ---
    **caption or standfirst**      subtitle (optional)
    PLACE, Month D (AGENCY)-- ...  body, dateline optional
    ---
    <https://original/url>         trailer (optional): source URL and **Publisher**
    **Publisher**

Header, body and trailer are cut at the first and the last ``---`` line, since bodies hold
``---`` lines too; a last section that does not look like a trailer stays in the body.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from urllib.parse import urlsplit

from .errors import Diagnostic, error, warning
from .model import SeedArticle
from .text import summarize

Line = tuple[int, str]  # (1-based line number, text)

# --------------------------------------------------------------------------- decoding

_UTF8_BOM = b"\xef\xbb\xbf"
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_seed(data: bytes, name: str, max_bytes: int) -> tuple[str | None, list[Diagnostic]]:
    """Seed bytes as text with ``\\n`` line ends, or ``None`` and a warning when it is unusable.

    Skips (``None`` + warning) a seed over ``max_bytes``, a binary one, or one that is empty.
    A file that is not valid UTF-8 is decoded as cp1252 (or latin-1), with a warning.
    """
    file = _file(name)
    if len(data) > max_bytes:
        return None, [warning(file, f"seed is {len(data):,} bytes, over the limit of {max_bytes:,}; skipped",
                              hint="trim the file, or raise `import.max_seed_bytes` in site.yaml")]
    text, diagnostics = _decode(data, file)
    if text is None or _looks_binary(text):
        return None, [warning(file, "seed looks like a binary file, not text; skipped",
                              hint="seeds must be plain text (UTF-8); remove the file from seeds/")]
    text = normalise_newlines(text).lstrip("\ufeff")
    if not text.strip():
        return None, [warning(file, "seed is empty; skipped",
                              hint="paste the article text into it, or delete the file")]
    return text, diagnostics


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR line ends as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """Text of ``data`` by BOM, then UTF-8, then cp1252/latin-1; ``None`` when it holds NUL bytes."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), []
    if b"\x00" in data:
        guessed = _bomless_utf16(data)
        return (data.decode(guessed, errors="replace"), []) if guessed else (None, [])
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, [warning(file, f"decoded as {encoding}; re-save it as UTF-8", line=line,
                              hint="the file is not valid UTF-8; open it in an editor and save it as UTF-8")]
    return None, []  # unreachable: latin-1 decodes any bytes


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs sit in every other byte, as in UTF-16 text without a BOM."""
    if len(data) < 4 or len(data) % 2:
        return None
    odd, even = data[1::2], data[0::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    """Mostly control characters, or U+FFFD from a failed decode."""
    sample = text[:65536]
    if not sample:
        return False
    bad = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    return bad > 0.1 * len(sample)


# --------------------------------------------------------------------------- sections

_SEPARATOR = re.compile(r"^\s{0,3}-{3,}\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|(?=[*_]))")
_URL_LINE = re.compile(
    r"^\s*(?:(?i:source|fuente|fonte|quelle|original|url)\s*:\s*)?"
    r"(?:<(?P<a>[A-Za-z][\w+.-]*:[^\s<>]+)>|\[[^\]]*\]\((?P<b>[A-Za-z][\w+.-]*:[^\s()]+)\)"
    r"|(?P<c>[A-Za-z][\w+.-]*://[^\s<>]+))\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>(?:(?!\1).)+?)\1\s*$")


@dataclass
class _Sections:
    """A seed cut into its parts; each part is a list of numbered lines."""

    head: list[Line]
    body: list[Line]
    trailer: list[Line]


def _split_sections(lines: list[Line]) -> _Sections:
    """Cut at the first and the last ``---`` line, keeping a non-trailer tail in the body."""
    seps = [i for i, (_, text) in enumerate(lines) if "---" in text and _SEPARATOR.match(text)]
    if len(seps) >= 2:
        first, last = seps[0], seps[-1]
        tail = lines[last + 1:]
        if _is_trailer(tail):
            return _Sections(lines[:first], lines[first + 1:last], tail)
        return _trailing_trailer(_Sections(lines[:first], lines[first + 1:], []))
    if len(seps) == 1:
        before, after = lines[:seps[0]], lines[seps[0] + 1:]
        if any(_URL_LINE.match(text) for _, text in after) and _is_trailer(after):
            return _Sections(before, [], after)
        return _trailing_trailer(_Sections(before, after, []))
    return _trailing_trailer(_Sections(lines, [], []))


def _nonblank(lines: list[Line]) -> list[Line]:
    return [(no, text) for no, text in lines if text.strip()]


def _is_trailer(lines: list[Line]) -> bool:
    """A short run of URL lines and bold (or short plain) name lines, with a URL or bold line."""
    rows = [text for _, text in _nonblank(lines)]
    if not rows:
        return True
    if len(rows) > 4 or sum(map(len, rows)) > 800:
        return False
    marked = [r for r in rows if _URL_LINE.match(r) or (_BOLD_LINE.match(r) and len(r) <= 200)]
    plain_ok = all(_URL_LINE.match(r) or _BOLD_LINE.match(r) or _is_name_line(r) for r in rows)
    return bool(marked) and plain_ok


def _is_name_line(text: str) -> bool:
    """A short line that could be a publisher name (no sentence, no Markdown block)."""
    text = text.strip()
    return (0 < len(text) <= 80 and len(text.split()) <= 8
            and not re.search(r"[.!?]\s|[.!?:;,]$|^[#>*\-!\[]|\*\*|__", text))


def _trailing_trailer(sections: _Sections) -> _Sections:
    """With no ``---`` before it, take a trailer from the last lines only when it holds a URL."""
    lines = sections.body if sections.body else sections.head
    end = len(lines)
    while end and not lines[end - 1][1].strip():
        end -= 1
    start = end
    while start and lines[start - 1][1].strip() and end - start < 4:
        start -= 1
    block = lines[start:end]
    if not block or start == 0 or not any(_URL_LINE.match(t) for _, t in block) or not _is_trailer(block):
        return sections
    if lines[start - 1][1].strip():
        return sections
    if sections.body:
        return _Sections(sections.head, lines[:start], block)
    return _Sections(lines[:start], [], block)


# --------------------------------------------------------------------------- inline text

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_WRAP = re.compile(r"^(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1$", re.S)
# bounded: a hostile one-line caption must not make these quadratic
_INNER_STAR = re.compile(r"(\*{1,3})(?=\S)(.{1,300}?)(?<=\S)\1")
_INNER_UNDERSCORE = re.compile(r"(?<![\w])(_{1,3})(?=\S)(.{1,300}?)(?<=\S)\1(?![\w])")
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_SPACE = re.compile(r"\s+")


def clean_inline(text: str) -> str:
    """One line of scraped Markdown as plain text: no emphasis, links, escapes or entities."""
    text = _SPACE.sub(" ", text).strip()
    for _ in range(3):
        wrapped = _WRAP.match(text)
        if not wrapped:
            break
        text = wrapped.group(2).strip()
    text = _MD_LINK.sub(r"\1", text)
    text = _INNER_STAR.sub(r"\2", text)
    text = _INNER_UNDERSCORE.sub(r"\2", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    for _ in range(3):  # entities escaped twice ("&amp;#039;") are common in scraped titles
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --------------------------------------------------------------------------- title

_MAX_TITLE_LINE = 2000  # longer header lines are not titles; cut before any regex sees them
_MAX_TITLE = 300
_SITE_SEPARATOR = re.compile(r"(\s+(?:\||-|–|—|::|·|•|»)\s+)")
_GENERIC_SITE_WORDS = frozenset(
    "the blog news online com net org magazine media entertainment official site website tv radio "
    "daily weekly journal".split())
_SECOND_LEVEL = frozenset("com net org co ac gov edu ne or go gob info biz".split())


def _find_title(sections: _Sections, file: str) -> tuple[str | None, list[Line], list[Diagnostic]]:
    """The title, and the lines that become the body (other header lines first)."""
    head = _nonblank(sections.head)
    pick = next((row for row in head if _HEADING.match(row[1])), head[0] if head else None)
    if pick is not None:
        rest = [row for row in sections.head if row[0] != pick[0] and row[1].strip()]
        title = _title_text(pick[1])
        if _has_word(title):
            body = rest + ([(0, "")] if rest else []) + sections.body
            diagnostics = [] if _HEADING.match(pick[1]) else [warning(
                file, "the title line is not a '# Title' heading; took the first line as the title",
                line=pick[0], hint="check `title` in the content page")]
            return title, body, diagnostics
    return _title_from_body(sections.head + sections.body, file)


def _title_from_body(lines: list[Line], file: str) -> tuple[str | None, list[Line], list[Diagnostic]]:
    """No usable header: the first line with words becomes the title (shortened if long)."""
    for index, (no, text) in enumerate(lines):
        title = _title_text(text)
        if not _has_word(title) or _URL_LINE.match(text):
            continue
        keep = lines[index + 1:] if len(text) <= 150 else lines
        diagnostic = warning(file, "no title line before the first '---'; took the title from the text",
                             line=no, hint="add a '# Title' line at the top of the seed, or set `title` "
                                           "in the content page")
        return _shorten(title, 150), keep, [diagnostic]
    return None, lines, [error(file, "no title found in the seed",
                                     hint="put the headline on the first line as '# Title'")]


def _title_text(line: str) -> str:
    """A heading or plain line as a title: no ``#``, emphasis, entities; stray separators trimmed."""
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", line[:_MAX_TITLE_LINE])
    text = re.sub(r"\s+#+\s*$", "", text)
    text = clean_inline(text)
    return _shorten(re.sub(r"^(?:[|:·•»]\s*)+|(?:\s*[|:·•»])+$", "", text).strip(), _MAX_TITLE)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ") + "…"


def strip_site_name(title: str, publisher: str | None, host: str | None) -> str:
    """The title without a trailing (or leading) site name matching the publisher or the URL host.

    ``"Nadal keeps Spain alive - Sportsnet.ca"`` -> ``"Nadal keeps Spain alive"``; a segment
    that names anything else (``"Opinion | ..."``, an author) is left alone.
    """
    names = _site_names(publisher, host)
    if not names:
        return title
    parts = _SITE_SEPARATOR.split(title)
    while len(parts) >= 3 and _names_site(parts[-1], names) and _has_word("".join(parts[:-2])):
        parts = parts[:-2]
    if len(parts) >= 3 and _names_site(parts[0], names) and _has_word("".join(parts[2:])):
        parts = parts[2:]
    return "".join(parts).strip()


def _norm(text: str) -> str:
    """Case-, accent- and punctuation-free form for comparing names."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if ch.isalnum())


def _site_names(publisher: str | None, host: str | None) -> set[str]:
    """Normalised names a site goes by: the publisher, the host, the host's main label."""
    names = {_norm(publisher or ""), _norm(host or "")}
    if host:
        names.add(_norm(host_label(host)))
    if publisher and publisher.casefold().startswith("the "):
        names.add(_norm(publisher[4:]))
    return {n for n in names if len(n) >= 2}


def host_label(host: str) -> str:
    """The registrable label of a host: ``www.telegraph.co.uk`` -> ``telegraph``."""
    labels = [p for p in host.lower().split(".") if p and p != "www"]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        labels = labels[:-2]
    elif len(labels) >= 2:
        labels = labels[:-1]
    return labels[-1] if labels else host


def _names_site(segment: str, names: set[str]) -> bool:
    """Whether a title segment is the site's name (allowing words like "Blog", "News")."""
    norm = _norm(segment)
    if norm in names or (norm.startswith("the") and norm[3:] in names):
        return True
    words = [w for w in re.split(r"[\s.]+", segment) if _norm(w) and _norm(w) not in _GENERIC_SITE_WORDS]
    return len(segment.split()) <= 4 and bool(words) and _norm("".join(words)) in names


# --------------------------------------------------------------------------- trailer

def _read_trailer(trailer: list[Line], file: str) -> tuple[str | None, str | None, list[Diagnostic]]:
    """Source URL (http/https only) and publisher name from the trailer lines."""
    url = publisher = None
    diagnostics: list[Diagnostic] = []
    for no, text in _nonblank(trailer):
        found = _URL_LINE.match(text)
        if found:
            candidate = found.group("a") or found.group("b") or found.group("c")
            if _is_web_url(candidate):
                url = url or candidate
            else:
                diagnostics.append(warning(file, f"ignored the source URL {candidate[:80]!r}: only http(s) "
                                                 "URLs are kept", line=no,
                                           hint="set `source_url` in the content page"))
        elif publisher is None and (_BOLD_LINE.match(text) or _is_name_line(text)):
            publisher = clean_publisher(text) or None
    return url, publisher, diagnostics


def _is_web_url(text: str) -> bool:
    """An http(s) URL with a host (a malformed one, such as ``https://[``, is not)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def clean_publisher(text: str) -> str:
    """A publisher name as plain text; a URL or bare host becomes the host without ``www.``."""
    name = clean_inline(text)
    name = re.sub(r"\s*[|–—-]\s*by:?\s+.*$", "", name, flags=re.I)  # "SITE | BY: AUTHOR"
    if re.match(r"^[a-z][\w+.-]*://", name, re.I) or re.match(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+/?$", name):
        try:
            host = urlsplit(name if "://" in name else "http://" + name).hostname or name
        except ValueError:       # "https://[" and other malformed addresses
            return name
        return _strip_www(host)
    return name


def url_host(url: str | None) -> str | None:
    """Host of a URL without ``www.``, or ``None``."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return _strip_www(host) if host else None


def _strip_www(host: str) -> str:
    host = host.lower().rstrip("/")
    return host[4:] if host.startswith("www.") else host


# --------------------------------------------------------------------------- subtitle

def _take_subtitle(body: list[Line]) -> tuple[str | None, list[Line]]:
    """The bold line opening the body (caption or standfirst), and the body without it."""
    for index, (_, text) in enumerate(body):
        if not text.strip():
            continue
        if _BOLD_LINE.match(text):
            subtitle = clean_inline(text)
            if _has_word(subtitle):
                return subtitle, body[:index] + body[index + 1:]
        return None, body
    return None, body


# --------------------------------------------------------------------------- dates

_MONTHS = {
    1: "january jan janv janvier enero ene janeiro januar jänner jaenner gennaio gen",
    2: "february feb febr febrero fevereiro fev février fevrier févr fevr februar febbraio",
    3: "march mar marzo mars março marco märz maerz mrz",
    4: "april apr abril abr avril avr aprile",
    5: "may mayo mai maio maggio mag",
    6: "june jun junio juin junho juni giugno giu",
    7: "july jul julio juillet juil julho juli luglio lug",
    8: "august aug agosto ago août aout",
    9: "september sep sept sett septiembre setiembre septembre setembro set settembre",
    10: "october oct octubre octobre outubro out oktober okt ottobre ott",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre dic décembre decembre déc dezembro dez dezember dicembre",
}
MONTH_NUMBERS = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH = "(?i:" + "|".join(sorted(map(re.escape, MONTH_NUMBERS), key=len, reverse=True)) + r")(?![^\W\d_])"
_DATE = (rf"(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y1>\d{{4}})(?!\d))?"
         rf"|(?P<d2>\d{{1,2}})(?:\.|º|°|er|st|nd|rd|th)?\s+(?:de\s+)?(?P<m2>{_MONTH})\.?"
         rf"(?:,?\s+(?:de\s+)?(?P<y2>\d{{4}})(?!\d))?)")
_URL_DATE = re.compile(
    r"(?<![\w])(?P<y>(?:19|20)\d\d)(?P<s>[/-]?)(?P<m>0[1-9]|1[0-2])(?P=s)(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")
_WEEKDAYS = ("monday tuesday wednesday thursday friday saturday sunday lunes martes miércoles jueves "
             "viernes sábado domingo lundi mardi mercredi jeudi vendredi samedi dimanche")


@dataclass(frozen=True)
class _DateParts:
    """A date as written: month and day, perhaps a year."""

    text: str
    month: int
    day: int
    year: int | None


def _date_parts(match: re.Match[str], group: str = "date") -> _DateParts | None:
    """The named date groups of ``match`` as numbers, or ``None`` when it names no real date."""
    found = match.groupdict()
    month_name = found.get("m1") or found.get("m2")
    if not month_name or not found.get(group):
        return None
    day = int(found.get("d1") or found.get("d2"))
    year_text = found.get("y1") or found.get("y2")
    year = int(year_text) if year_text else None
    if year is not None and not 1900 <= year <= 2100:
        return None
    parts = _DateParts(match.group(group), MONTH_NUMBERS[month_name.lower()], day, year)
    return parts if _valid_day(year or 2000, parts.month, day) else None


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def url_date(url: str | None) -> tuple[date, str] | None:
    """A full date in a URL's path (``/2019/11/19/``, ``/2019-11-19/``, ``/20191119/``)."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for found in _URL_DATE.finditer(path):
        year, month, day = int(found["y"]), int(found["m"]), int(found["d"])
        if _valid_day(year, month, day):
            return date(year, month, day), found.group(0)
    return None


def _year_for(month: int, day: int, *, assume_year: int | None, near: date | None, latest: date) -> int:
    """Year of a yearless date: ``assume_year``, else the one nearest ``near`` (a URL date),
    else the latest year in which the date is not after ``latest`` (the file's mtime)."""
    if assume_year is not None and _valid_day(assume_year, month, day):
        return assume_year
    if near is not None:
        years = [y for y in (near.year - 1, near.year, near.year + 1) if _valid_day(y, month, day)]
        if years:
            return min(years, key=lambda y: abs((date(y, month, day) - near).days))
    for candidate in range(latest.year, latest.year - 9, -1):
        if _valid_day(candidate, month, day) and date(candidate, month, day) <= latest:
            return candidate
    return latest.year


def _local(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` in ``tz`` (a naive one is taken as already in ``tz``)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


# --------------------------------------------------------------------------- dateline

_WORD = r"[^\W\d_][\w'’./\-]*"
_CITY = rf"{_WORD}(?:[ \t]+{_WORD}){{0,4}}"
_COMMA = r"[,،]\s*"
_SEP = r"(?P<sep>--|[–—]|-(?=\s)|:(?=\s))"
_DATELINE = re.compile(
    rf"^(?P<place>{_CITY}(?:{_COMMA}{_CITY}){{0,2}})(?:{_COMMA}(?P<date>{_DATE}))?"
    rf"[ \t]*(?:\((?P<agency>[^()\n]{{1,40}})\))?(?:[ \t]*{_SEP}|(?<=\))|[ \t]*$)[ \t]*")
_AGENCY_FIRST = re.compile(rf"^\((?P<agency>[^()\n]{{1,40}})\)[ \t]*{_SEP}?[ \t]*")
_DATE_FIRST = re.compile(rf"^(?P<date>{_DATE})[ \t]*{_SEP}[ \t]*")
_DATELINE_PARAGRAPHS = 5
_AGENCY_LIKE = re.compile(r"^[^\W\d_][\w&.'’ ]*$")
_KNOWN_AGENCIES = frozenset(
    "ap reuters afp cnn cnnmoney rhc efe dpa ansa xinhua pl ips ians pti upi bloomberg bbc tass ria "
    "sputnik ep aa anadolu kcna yonhap kyodo telam télam notimex sana irna wam mena apa ani uni lusa "
    "abi acn ain".split())
_NOT_PLACES = frozenset(s.strip() for s in (
    "update,updated,breaking,breaking news,exclusive,watch,video,videos,photo,photos,live,listen,"
    "editor's note,editor’s note,editors note,note,notes,warning,spoiler,spoilers,spoiler alert,"
    "correction,clarification,opinion,analysis,review,faq,q,a,tl;dr,summary,background,context,"
    "disclaimer,sponsored,advertisement,ad,read more,related,source,sources,file,file photo,"
    "yes,no,well,so,now,today,yesterday,tomorrow,tonight,finally,meanwhile,however,also,first,"
    "second,third,and,but,or,then,here,there,this,that,it,update 1,important,attention,pictured,"
    "above,below,caption,credit,by,author,image,images,gallery,recap,preview,transcript,"
    "timeline,obituary,sport,sports,business,politics,world,technology,tech,science,health,"
    "entertainment,culture,travel,lifestyle,food,music,movies,books,fashion,style,weather,"
    "fact check,factcheck,rumor,claim,verdict,rating,conclusion,introduction,step,tip,tips,"
    "bonus,plus,minus,pros,cons,price,specs,score,result,results,bottom line,the bottom line,"
    "what,why,how,who,when,where,lol,omg,wow,oh,hey,hello,hi,dear,thanks,please,new,news,more,latest,"
    "icymi,also read,see also,more info,nb,ps,p.s.,"
    + _WEEKDAYS.replace(" ", ",")).split(","))
_NOT_PLACE_STARTS = frozenset("dear also read see breaking editor's editor’s watch exclusive update updated photo "
                              "photos video live sponsored related file more".split())
_CONNECTORS = frozenset("de del la las los da do dos das di du des of upon am der den el sur au aux le les "
                        "im bei".split())
_PLACE_PREFIXES = frozenset(
    "new san santa los las saint st st. port fort ft. mount mt. la el le rio río buenos hong tel kuala "
    "abu sri cape costa puerto sao são ciudad mexico méxico south north east west addis dar ho phnom "
    "salt palm long grand great little baton".split())


@dataclass(frozen=True)
class _Dateline:
    """What a dateline prefix told: place, agency, date; ``end`` is where the text starts."""

    place: str | None
    agency: str | None
    date: _DateParts | None
    end: int
    strong: bool = True  # unmistakable enough to look for past the first paragraph


def find_dateline(paragraph: str) -> _Dateline | None:
    """The dateline opening ``paragraph``, or ``None``; precision over recall."""
    for finder in (_agency_first, _date_first, _place_first):
        found = finder(paragraph)
        if found is not None:
            return found
    return None


def _agency_first(text: str) -> _Dateline | None:
    """``(Reuters) — ...``, ``(CNN) ...``."""
    found = _AGENCY_FIRST.match(text)
    if not found or not _agency_ok(found["agency"], found["sep"]) or not _starts_sentence(text, found):
        return None
    return _Dateline(None, found["agency"].strip(), None, found.end())


def _date_first(text: str) -> _Dateline | None:
    """``December 28, 2014: ...``: a date and a separator, no place."""
    found = _DATE_FIRST.match(text)
    parts = _date_parts(found) if found else None
    if parts is None or not _starts_sentence(text, found):
        return None
    return _Dateline(None, None, parts, found.end(), strong=parts.year is not None)


def _place_first(text: str) -> _Dateline | None:
    """``WASHINGTON (Reuters) - ``, ``La Habana, 1 nov (RHC)-- ``, ``MADRID — ``, ``BAAR, SWITZERLAND``."""
    found = _DATELINE.match(text)
    if not found:
        return None
    segments = [s.strip() for s in re.split(_COMMA, found["place"])]
    if not all(_place_segment_ok(s) for s in segments) or not _starts_sentence(text, found):
        return _own_line_place(text, segments) if found.end() == len(text.rstrip()) else None
    agency = found["agency"]
    parts = _date_parts(found) if found["date"] else None
    if found["date"] and parts is None:
        return None
    if agency is not None:
        ok = _agency_ok(agency, found["sep"])
    elif parts is not None:
        ok = bool(found["sep"])
    else:
        ok = _bare_place_ok(segments, found["sep"])
    if not ok:
        return _own_line_place(text, segments) if found.end() == len(text.rstrip()) else None
    strong = bool(agency or parts) or (found["sep"] != ":" and (_all_caps(segments[0]) or len(segments) > 1))
    return _Dateline(_nice_place(segments), agency.strip() if agency else None, parts, found.end(), strong)


def _own_line_place(text: str, segments: list[str]) -> _Dateline | None:
    """A paragraph that is only ``CITY, COUNTRY`` in capitals (``BAAR, SWITZERLAND``)."""
    if len(segments) < 2 or not all(_all_caps(s) and _place_segment_ok(s) for s in segments):
        return None
    if ", ".join(segments) != _SPACE.sub(" ", re.sub(_COMMA, ", ", text.strip())):
        return None
    return _Dateline(_nice_place(segments), None, None, len(text), strong=False)


def _starts_sentence(text: str, found: re.Match[str]) -> bool:
    """The text after the dateline opens a sentence (not a lower-case continuation)."""
    rest = text[found.end():]
    return not rest or not rest[0].islower()


def _agency_ok(agency: str, sep: str | None) -> bool:
    """Looks like a news agency; without a dash after it (``Name (Company):``), a known one."""
    agency = agency.strip()
    if not _AGENCY_LIKE.match(agency) or len(agency) < 2 or len(agency.split()) > 4:
        return False
    if agency.split()[0].lower() in _KNOWN_AGENCIES:
        return True
    if not agency[0].isupper() or re.search(r"(?i)\b(?:photo|file|image|video|via|courtesy)\b", agency):
        return False
    return bool(sep) and sep != ":"


def _place_segment_ok(segment: str) -> bool:
    """Capitalised words (connectors allowed), not a label, a month, a weekday or a domain."""
    words = segment.split()
    if not words or len(segment) > 40 or segment.casefold() in _NOT_PLACES:
        return False
    if words[0].casefold() in _NOT_PLACE_STARTS:
        return False
    if segment.casefold().rstrip(".") in MONTH_NUMBERS:
        return False
    for position, word in enumerate(words):
        if position and word.casefold() in _CONNECTORS:
            continue
        if word[0].islower() or re.search(r"[^\W\d_]{2,}\.[^\W\d_]{2,}", word) or word.endswith(("-", "'")):
            return False
    return True


def _bare_place_ok(segments: list[str], sep: str | None) -> bool:
    """A place with no agency or date: capitals, a ``City, Region`` form, or one plain name."""
    if not sep:
        return False
    if _all_caps(segments[0]):
        return True
    if len(segments) > 1:
        return True
    words = segments[0].split()
    if sep == ":" or len(words) > 2:
        return False
    return len(words) == 1 or words[0].casefold() in _PLACE_PREFIXES


def _all_caps(text: str) -> bool:
    cased = [ch for ch in text if ch.isalpha() and (ch.isupper() or ch.islower())]
    return len(cased) >= 2 and all(ch.isupper() for ch in cased)


def _nice_place(segments: list[str]) -> str:
    """Place as written, but an all-capitals city in title case (``SIOUX FALLS, S.D.`` -> ``Sioux Falls, S.D.``)."""
    if not _all_caps(segments[0]):
        return ", ".join(segments)
    out = [" ".join(_title_word(w, i == 0, min_len=1) for i, w in enumerate(segments[0].split()))]
    for segment in segments[1:]:
        out.append(" ".join(_title_word(w, i == 0, min_len=3) for i, w in enumerate(segment.split())))
    return ", ".join(out)


def _title_word(word: str, first: bool, min_len: int) -> str:
    """``SIOUX`` -> ``Sioux``, ``PORT-AU-PRINCE`` -> ``Port-au-Prince``; ``N.Y.``, ``DC`` kept."""
    if re.fullmatch(r"(?:[^\W\d_]\.)+", word) or not _all_caps(word) or len(word) < max(min_len, 2):
        return word
    parts = word.split("-")
    titled = [p.lower() if (j or not first) and p.lower() in _CONNECTORS else p[:1] + p[1:].lower()
              for j, p in enumerate(parts)]
    return "-".join(titled)


def _strip_dateline(body: list[Line]) -> tuple[_Dateline | None, list[Line]]:
    """Find the dateline opening the first paragraph (or, when unmistakable, one of the next
    few, after photo captions and credits) and remove it from the body."""
    starts = (i for i, (_, text) in enumerate(body) if text.strip() and (i == 0 or not body[i - 1][1].strip()))
    for number, index in enumerate(itertools.islice(starts, _DATELINE_PARAGRAPHS)):
        found = find_dateline(body[index][1].strip()[:400])
        if found is not None and (number == 0 or found.strong):
            return _remove_dateline(body, index, found)
    return None, body


def _remove_dateline(body: list[Line], index: int, found: _Dateline) -> tuple[_Dateline | None, list[Line]]:
    """The body without the dateline prefix of line ``index``; a dateline alone on its line goes
    with its line, unless nothing follows it."""
    no, text = body[index]
    lead = len(text) - len(text.lstrip())
    rest = text.strip()[found.end:].lstrip()
    if rest:
        return found, body[:index] + [(no, text[:lead] + rest)] + body[index + 1:]
    if any(line.strip() for _, line in body[index + 1:]):
        return found, body[:index] + body[index + 1:]  # on its own line: "BAAR, SWITZERLAND"
    return None, body


# --------------------------------------------------------------------------- parse

_SUMMARY_SOURCE = 10_000  # the summary comes from the opening; bounds the cost on pathological text


def parse_seed(text: str, name: str, *, mtime: datetime, assume_year: int | None,
               tz: tzinfo) -> tuple[SeedArticle | None, list[Diagnostic]]:
    """Read one seed's text into a :class:`SeedArticle`; never raises.

    ``name`` is the file name inside ``seeds/``; ``mtime`` (aware) is the file's modification
    time, used for yearless dates and as the date of last resort. Returns ``None`` and an error
    only when the seed has no title at all.
    """
    file = _file(name)
    try:
        return _parse(text, name, file, mtime=mtime, assume_year=assume_year, tz=tz)
    except Exception as exc:  # a parser bug must not stop a whole import; tests assert it never happens
        return None, [error(file, f"could not parse the seed ({type(exc).__name__}: {exc})",
                            hint="report this as a sitegen bug; meanwhile write the content page by hand")]


def _parse(text: str, name: str, file: str, *, mtime: datetime, assume_year: int | None,
           tz: tzinfo) -> tuple[SeedArticle | None, list[Diagnostic]]:
    lines = list(enumerate(normalise_newlines(text or "").lstrip("\ufeff").split("\n"), start=1))
    sections = _split_sections(lines)
    title, body, diagnostics = _find_title(sections, file)
    if title is None:
        return None, diagnostics
    source_url, publisher, trailer_diagnostics = _read_trailer(sections.trailer, file)
    diagnostics += trailer_diagnostics
    host = url_host(source_url)
    publisher = publisher or host
    title = strip_site_name(title, publisher, host)
    subtitle, body = _take_subtitle(body)
    dateline, body = _strip_dateline(body)
    when, date_text, date_diagnostics = _resolve_date(dateline, source_url, file, mtime=mtime,
                                                      assume_year=assume_year, tz=tz)
    diagnostics += date_diagnostics
    body_text = _join(body)
    return SeedArticle(
        seed=name, title=title, body=body_text, subtitle=subtitle,
        dateline=dateline.place if dateline else None, agency=dateline.agency if dateline else None,
        date=when, date_text=date_text, source_url=source_url, publisher=publisher,
        summary=summarize(body_text[:_SUMMARY_SOURCE])), diagnostics


def _resolve_date(dateline: _Dateline | None, source_url: str | None, file: str, *, mtime: datetime,
                  assume_year: int | None, tz: tzinfo) -> tuple[datetime, str | None, list[Diagnostic]]:
    """The article's date: the dateline's, else the URL's, else ``mtime`` with a warning."""
    from_url = url_date(source_url)
    parts = dateline.date if dateline else None
    if parts is not None:
        year = parts.year or _year_for(parts.month, parts.day, assume_year=assume_year,
                                       near=from_url[0] if from_url else None,
                                       latest=_local(mtime, tz).date())
        if _valid_day(year, parts.month, parts.day):
            return datetime(year, parts.month, parts.day, tzinfo=tz), parts.text, []
    if from_url is not None:
        day, text = from_url
        return datetime(day.year, day.month, day.day, tzinfo=tz), text, []
    return _local(mtime, tz), None, [warning(
        file, "no date found in the seed; using the file's modification time",
        hint="set `date` in the content page")]


def _join(lines: list[Line]) -> str:
    """Body lines as text, without blank lines at either end."""
    rows = [text for _, text in lines]
    while rows and not rows[0].strip():
        rows.pop(0)
    while rows and not rows[-1].strip():
        rows.pop()
    return "\n".join(rows)


def _file(name: str) -> str:
    return f"seeds/{name}"
