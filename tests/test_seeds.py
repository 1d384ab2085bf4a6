"""Tests for the seed-text parser (``sitegen.seeds``): layout, datelines, dates, decoding, and
robustness on arbitrary text and on the real corpora in ``../shared/corpora``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.seeds import decode_seed, parse_seed

ROOT = Path(__file__).resolve().parent.parent
USER_SEED = ROOT / "seeds" / "000_f6f788eaffd1c9bb.txt"
CORPORA = ROOT.parent / "shared" / "corpora"
HAVANA = ZoneInfo("America/Havana")
MTIME = datetime(2023, 11, 5, 12, 0, tzinfo=timezone.utc)


def parse(text: str, *, mtime: datetime = MTIME, assume_year: int | None = None, tz=HAVANA, name="s.txt"):
    return parse_seed(text, name, mtime=mtime, assume_year=assume_year, tz=tz)


def seed(first_paragraph: str, *, title: str = "# *A headline*", trailer: str = "") -> str:
    return f"{title}\n---\n\n{first_paragraph}\n\nSecond paragraph.\n---\n{trailer}"


def messages(diagnostics) -> str:
    return " | ".join(d.message for d in diagnostics)


# --------------------------------------------------------------------------- the user's seed

def test_user_seed_parses_every_field():
    text, diagnostics = decode_seed(USER_SEED.read_bytes(), USER_SEED.name, 10_000_000)
    assert diagnostics == []
    article, diagnostics = parse(text, name=USER_SEED.name)
    assert diagnostics == []
    assert article.seed == USER_SEED.name
    assert article.title == "U.S. Secretary of State Antony Blinken set to travel to Israel again"
    assert article.subtitle == "U.S. Secretary of State Antony Blinken cuddles up to his buddy, Benjamin Netanyahu"
    assert (article.dateline, article.agency, article.date_text) == ("Washington", "RHC", "November 1")
    assert article.date == datetime(2023, 11, 1, tzinfo=HAVANA)
    assert article.source_url == ("https://www.radiohc.cu/en/noticias/internacionales/"
                                  "338148-us-secretary-of-state-antony-blinken-set-to-travel-to-israel-again")
    assert article.publisher == "Radio Habana Cuba"
    assert article.body.startswith("U.S. Secretary of State Antony Blinken will travel to Israel")
    assert "cuddles up" not in article.body and "---" not in article.body
    assert article.body.endswith("medical supplies.")
    assert article.summary.startswith("U.S. Secretary of State Antony Blinken will travel")


# --------------------------------------------------------------------------- datelines

@pytest.mark.parametrize("paragraph, place, agency, date_text, rest", [
    ("Washington, November 1 (RHC)-- U.S. officials", "Washington", "RHC", "November 1", "U.S. officials"),
    ("Washington, November 1 (RHC)--  Two spaces", "Washington", "RHC", "November 1", "Two spaces"),
    ("WASHINGTON (Reuters) - Scientists on Monday", "Washington", "Reuters", None, "Scientists on Monday"),
    ("HAYWARD, Calif. (AP) — The Latest", "Hayward, Calif.", "AP", None, "The Latest"),
    ("MADRID — Rafael Nadal kept", "Madrid", None, None, "Rafael Nadal kept"),
    ("(CNN) — The president", None, "CNN", None, "The president"),
    ("(CNN) President Donald Trump", None, "CNN", None, "President Donald Trump"),
    ("La Habana, 1 nov (RHC)-- El presidente", "La Habana", "RHC", "1 nov", "El presidente"),
    ("LONDON, Nov 19 (Reuters) - Oil prices", "London", "Reuters", "Nov 19", "Oil prices"),
    ("LONDON, Nov. 19 (Reuters) – Oil prices", "London", "Reuters", "Nov. 19", "Oil prices"),
    ("CHICAGO—Admitting it took", "Chicago", None, None, "Admitting it took"),
    ("BERLIN -- The agency says", "Berlin", None, None, "The agency says"),
    ("SIOUX FALLS, S.D. – People across", "Sioux Falls, S.D.", None, None, "People across"),
    ("ST. JOSEPH, Mich. (AP) — Michigan", "St. Joseph, Mich.", "AP", None, "Michigan"),
    ("Hong Kong (CNN Business) A muddled view", "Hong Kong", "CNN Business", None, "A muddled view"),
    ("NEW DELHI: Their American dream", "New Delhi", None, None, "Their American dream"),
    ("Washington, DC, United States: Getting", "Washington, DC, United States", None, None, "Getting"),
    ("París, 3 de noviembre de 2023 (EFE) — El", "París", "EFE", "3 de noviembre de 2023", "El"),
    ("Berlin, 3. November (dpa) - Die", "Berlin", "dpa", "3. November", "Die"),
    ("Roma, 5 sett (ANSA) - Il governo", "Roma", "ANSA", "5 sett", "Il governo"),
    ("São Paulo, 5 de março (Reuters) - A bolsa", "São Paulo", "Reuters", "5 de março", "A bolsa"),
    ("دمشق، سوريا (CNN) -- أكدت", "دمشق, سوريا", "CNN", None, "أكدت"),
])
def test_dateline_styles(paragraph, place, agency, date_text, rest):
    article, _ = parse(seed(paragraph))
    assert (article.dateline, article.agency, article.date_text) == (place, agency, date_text)
    assert article.body.startswith(rest)


@pytest.mark.parametrize("paragraph", [
    "The Steelers spent Monday trying to distance themselves.",
    "Hong Kong is burning. The authorities — again — pour fuel on the fire.",
    "DEAR ABBY: My husband of more than 20 years bought tickets.",
    "Tested by: John Milbank RRP: £23.99",
    "Make-Ahead Side: Sweet Potato, Parsnip, and Celery Root Mash",
    "PanARMENIAN.Net - Verified video footage shows the attack.",
    "Rep. Ilhan Omar (D-Minn.) — The congresswoman said.",
    "Elon Musk – The billionaire said on Monday.",
    "Ashraf Eassa (Qualcomm): It's hard not to be pleased.",
    "Photo: Silver Screen Collection/Getty Images",
    "UPDATE — The story has changed.",
    "Two hostages — an American and an Australian — were freed.",
])
def test_ordinary_first_sentences_are_not_datelines(paragraph):
    article, _ = parse(seed(paragraph))
    assert (article.dateline, article.agency) == (None, None)
    assert article.body.startswith(paragraph)


def test_dateline_on_its_own_line():
    article, _ = parse(seed("BAAR, SWITZERLAND\n\nBased on Ascom's expertise."))
    assert article.dateline == "Baar, Switzerland"
    assert article.body.startswith("Based on Ascom's expertise.")


def test_unmistakable_dateline_after_a_photo_caption():
    article, _ = parse(seed("1 of 4. Authorities monitor the search.\n\nJAKARTA (Reuters) - Countries around Asia"))
    assert (article.dateline, article.agency) == ("Jakarta", "Reuters")
    assert article.body == "1 of 4. Authorities monitor the search.\n\nCountries around Asia\n\nSecond paragraph."


def test_a_weak_dateline_after_the_first_paragraph_is_left_alone():
    article, _ = parse(seed("An opening paragraph.\n\nIndianapolis – Several thousand teachers"))
    assert article.dateline is None
    assert "Indianapolis – Several" in article.body


def test_date_only_dateline():
    article, _ = parse(seed("December 28, 2014: Markets opened lower"))
    assert article.dateline is None and article.date_text == "December 28, 2014"
    assert article.date == datetime(2014, 12, 28, tzinfo=HAVANA)
    assert article.body.startswith("Markets opened lower")


# --------------------------------------------------------------------------- dates

def test_date_with_a_year_is_taken_as_written():
    article, diagnostics = parse(seed("Paris, 3 novembre 2019 (AFP) — Le"), assume_year=2023)
    assert article.date == datetime(2019, 11, 3, tzinfo=HAVANA)
    assert diagnostics == []


def test_yearless_date_takes_assume_year():
    article, _ = parse(seed("Washington, December 30 (RHC)-- X"), assume_year=2021,
                       mtime=datetime(2024, 1, 5, tzinfo=timezone.utc))
    assert article.date == datetime(2021, 12, 30, tzinfo=HAVANA)


def test_yearless_date_is_the_latest_not_after_mtime():
    article, _ = parse(seed("Washington, December 30 (RHC)-- X"), mtime=datetime(2024, 1, 5, tzinfo=timezone.utc))
    assert article.date == datetime(2023, 12, 30, tzinfo=HAVANA)
    article, _ = parse(seed("Washington, January 5 (RHC)-- X"), mtime=datetime(2024, 1, 5, 12, tzinfo=HAVANA))
    assert article.date == datetime(2024, 1, 5, tzinfo=HAVANA)


def test_yearless_feb_29_goes_back_to_a_leap_year():
    article, _ = parse(seed("Washington, February 29 (RHC)-- X"), mtime=datetime(2023, 6, 1, tzinfo=timezone.utc))
    assert article.date == datetime(2020, 2, 29, tzinfo=HAVANA)


@pytest.mark.parametrize("url", [
    "https://example.org/2019/11/19/story/", "https://example.org/news/2019-11-19/story",
    "https://example.org/a/20191119/story.html",
])
def test_date_from_the_url_path(url):
    article, diagnostics = parse(seed("No dateline here.", trailer=f"<{url}>\n**Example**\n"))
    assert article.date == datetime(2019, 11, 19, tzinfo=HAVANA)
    assert article.source_url == url and diagnostics == []


def test_url_ids_are_not_dates():
    article, _ = parse(seed("Text.", trailer="<https://www.wsj.com/articles/games-11574168580>\n"))
    assert article.date_text is None


def test_no_date_falls_back_to_mtime_with_a_warning():
    article, diagnostics = parse(seed("Plain text."), mtime=MTIME)
    assert article.date == MTIME.astimezone(HAVANA) and article.date.tzinfo is HAVANA
    assert article.date_text is None
    [diagnostic] = diagnostics
    assert diagnostic.level == "warning" and diagnostic.file == "seeds/s.txt"
    assert "no date found" in diagnostic.message and "modification time" in diagnostic.message
    assert "`date`" in diagnostic.hint


# --------------------------------------------------------------------------- layout

def test_body_keeps_inner_rule_lines():
    text = "# *T*\n---\nFirst part.\n\n---\n\nSecond part.\n---\n<https://ex.org/a>\n**Ex**\n"
    article, _ = parse(text)
    assert article.body == "First part.\n\n---\n\nSecond part."
    assert (article.source_url, article.publisher) == ("https://ex.org/a", "Ex")


def test_missing_trailer_keeps_the_tail_in_the_body():
    text = "# *T*\n---\nFirst part.\n---\nA long closing paragraph that is body text, not a trailer.\n"
    article, _ = parse(text)
    assert article.body.endswith("not a trailer.") and "First part." in article.body
    assert article.source_url is None and article.publisher is None


def test_no_rules_at_all():
    text = "My title\n\nBody text here.\n\n<https://www.example.com/story>\n**Example News**\n"
    article, diagnostics = parse(text)
    assert article.title == "My title" and article.body == "Body text here."
    assert (article.source_url, article.publisher) == ("https://www.example.com/story", "Example News")
    assert any("not a '# Title' heading" in d.message for d in diagnostics)


def test_single_rule_before_trailer():
    article, _ = parse("# Title\n\nBody.\n---\n<https://ex.org/x>\n")
    assert (article.title, article.body, article.source_url, article.publisher) == (
        "Title", "Body.", "https://ex.org/x", "ex.org")


@pytest.mark.parametrize("line", ["# *A title*", "# _A title_", "# **A title**", "#  A   title ", "A title",
                                  "# ***A title***"])
def test_title_emphasis_and_spacing(line):
    article, _ = parse(f"{line}\n---\nBody.\n")
    assert article.title == "A title"


def test_title_entities_are_unescaped():
    article, _ = parse("# *Galena IL is a B&amp;B Kinda Town &amp;#039;yes&amp;#039;*\n---\nBody.\n")
    assert article.title == "Galena IL is a B&B Kinda Town 'yes'"


@pytest.mark.parametrize("title, publisher, url, expected", [
    ("Nadal keeps Spain alive - Sportsnet.ca", "Sportsnet.ca", "https://www.sportsnet.ca/x", "Nadal keeps Spain alive"),
    ("NYAG investigating WeWork – TechCrunch", "TechCrunch", "https://techcrunch.com/x", "NYAG investigating WeWork"),
    ("Clymer manual review | MoreBikes", "MoreBikes", "https://www.morebikes.co.uk/x", "Clymer manual review"),
    ("AirAsia plane found - Telegraph", "Telegraph.co.uk", "https://www.telegraph.co.uk/x", "AirAsia plane found"),
    ("Oxygen bar in Delhi? - News Nation", "https://www.newsnation.in", "https://www.newsnation.in/x",
     "Oxygen bar in Delhi?"),
    ("Mozilla - Wikipedia", None, "https://en.wikipedia.org/wiki/Mozilla", "Mozilla"),
    ("Opinion | Republicans Are Following Trump", "www.nytimes.com", "https://www.nytimes.com/x",
     "Opinion | Republicans Are Following Trump"),
    ("Take C.A.R.E. - comwrap auf der DMEXCO 2018", "blog.comwrap.com", "https://blog.comwrap.com/x",
     "Take C.A.R.E. - comwrap auf der DMEXCO 2018"),
    ("New Lexus LC500 - Auto News", "AutoIndustriya.com", "https://www.autoindustriya.com/x",
     "New Lexus LC500 - Auto News"),
    ("Whale strandings | Eleanor Ainge Roy", "the Guardian", "https://www.theguardian.com/x",
     "Whale strandings | Eleanor Ainge Roy"),
])
def test_site_name_suffix_is_stripped_only_when_it_names_the_site(title, publisher, url, expected):
    trailer = f"<{url}>\n" + (f"**{publisher}**\n" if publisher else "")
    article, _ = parse(f"# *{title}*\n---\nBody.\n---\n{trailer}")
    assert article.title == expected


def test_subtitle_is_the_opening_bold_line():
    article, _ = parse("# T\n---\n\n**A caption line**\n\nBody **with bold** text.\n")
    assert article.subtitle == "A caption line"
    assert article.body == "Body **with bold** text."


def test_publisher_falls_back_to_host_and_urls_are_cleaned():
    article, _ = parse("# T\n---\nBody.\n---\n<https://www.Example.com/a>\n")
    assert article.publisher == "example.com"
    article, _ = parse("# T\n---\nBody.\n---\n<https://x.org/a>\n**https://www.newsnation.in**\n")
    assert article.publisher == "newsnation.in"


def test_only_http_source_urls():
    article, diagnostics = parse("# T\n---\nBody.\n---\n<javascript:alert(1)>\n**Pub**\n")
    assert article.source_url is None and article.publisher == "Pub"
    assert any("only http(s)" in d.message for d in diagnostics)


def test_no_title_at_all_is_an_error():
    for text in ("", "   \n\n", "---\n---\n", "***\n"):
        article, diagnostics = parse(text)
        assert article is None
        assert [d.level for d in diagnostics] == ["error"] and diagnostics[0].file == "seeds/s.txt"


def test_title_taken_from_text_when_header_is_empty():
    article, diagnostics = parse("---\nJust a line of text.\n\nMore.\n")
    assert article.title == "Just a line of text." and article.body == "More."
    assert any(d.level == "warning" and d.line == 2 for d in diagnostics)


# --------------------------------------------------------------------------- decoding

def test_decode_strips_bom_and_crlf():
    text, diagnostics = decode_seed("\ufeff# T\r\n---\r\nBody\rmore\r\n".encode("utf-8"), "a.txt", 1000)
    assert text == "# T\n---\nBody\nmore\n" and diagnostics == []


def test_decode_utf16_with_bom():
    text, diagnostics = decode_seed("# Tí\r\n---\r\nBody".encode("utf-16"), "a.txt", 1000)
    assert text == "# Tí\n---\nBody" and diagnostics == []


def test_decode_cp1252_with_a_warning():
    text, diagnostics = decode_seed("# Caf\u00e9 \u201cquoted\u201d\n---\nx".encode("cp1252"), "a.txt", 1000)
    assert text.startswith("# Café “quoted”")
    [diagnostic] = diagnostics
    assert diagnostic.level == "warning" and "decoded as cp1252; re-save it as UTF-8" in diagnostic.message
    assert diagnostic.file == "seeds/a.txt" and diagnostic.line == 1


def test_decode_latin1_as_last_resort():
    text, diagnostics = decode_seed(b"# T\n---\n\x81\x8d body", "a.txt", 1000)
    assert text is not None and "latin-1" in diagnostics[0].message


@pytest.mark.parametrize("data, word", [
    (b"", "empty"), (b"  \n\t\r\n ", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(1, 32)) * 10, "binary"), (b"x" * 1001, "limit"),
])
def test_unusable_seeds_are_skipped_with_a_warning(data, word):
    text, diagnostics = decode_seed(data, "bad.txt", 1000)
    assert text is None
    [diagnostic] = diagnostics
    assert diagnostic.level == "warning" and diagnostic.file == "seeds/bad.txt"
    assert word in diagnostic.message and diagnostic.hint


# --------------------------------------------------------------------------- robustness

_PIECES = list("#*_-—–:,.()<>[]!|&;\n \t\r\ufeff\x00é日") + [
    "---", "\n---\n", "(AP)", "(Reuters) - ", "Nov 1", "1 de nov", "WASHINGTON", "**", "<http://", "https://",
    "a.b/2019/11/19/", "&amp;", "&#039;", "# ", "\n\n", "Feb 29"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join) | st.text())
def test_arbitrary_text_never_raises(text):
    article, diagnostics = parse(text)
    assert not any("could not parse" in d.message for d in diagnostics)
    if article is not None:
        assert article.title.strip() and article.date.tzinfo is not None
    else:
        assert any(d.level == "error" for d in diagnostics)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    text, _ = decode_seed(data, "b.txt", 300)
    if text is not None:
        parse(text)


def _corpus_files() -> list[Path]:
    return sorted(CORPORA.glob("raw-articles-*/articles/*"))


@pytest.mark.parametrize("path", _corpus_files() or [None], ids=lambda p: p.name if p else "absent")
def test_corpus_seeds_parse(path):
    if path is None:
        pytest.skip(f"no corpora under {CORPORA}")
    text, _ = decode_seed(path.read_bytes(), path.name, 10_000_000)
    article, diagnostics = parse(text, name=path.name, tz=timezone.utc)
    assert article is not None, diagnostics
    assert article.title and not any(d.level == "error" for d in diagnostics)
    trailer_url = text.rstrip().rsplit("\n---", 1)[1].split("<", 1)[1].split(">", 1)[0]
    assert article.source_url == trailer_url
    assert article.publisher and article.body


def test_a_hostile_one_line_caption_is_parsed_quickly():
    import time
    from datetime import datetime, timezone
    from sitegen.seeds import parse_seed
    caption = "**" + "*ab " * 40_000 + "**"
    started = time.perf_counter()
    article, _ = parse_seed(f"# *T*\n---\n{caption}\nBody.\n---\n<https://x.example/a>\n", "h.txt",
                            mtime=datetime(2024, 1, 1, tzinfo=timezone.utc), assume_year=None,
                            tz=timezone.utc)
    assert article is not None and time.perf_counter() - started < 5


def test_a_malformed_source_url_is_ignored_with_a_warning():
    article, diagnostics = parse("(AP)\n---\nhttps://[")
    assert not any("could not parse" in d.message for d in diagnostics)
    article, diagnostics = parse(seed("Text.", trailer="<https://[bad>\n**https://[**\n"))
    assert article is not None and article.source_url is None
    assert any("ignored the source URL" in d.message for d in diagnostics)
