"""Plain text, summaries and reading time."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.text import plain_text, reading_minutes, summarize, word_count


def test_plain_text_drops_markup():
    assert plain_text("**Bold** [link](http://x.org/a_(b)) ![pic](p.png) <b>h</b> \\_x &amp;") == \
        "Bold link pic h _x &"


def test_summary_keeps_whole_sentences():
    body = "First sentence here. " * 30 + "\n\nSecond paragraph."
    summary = summarize(body, 100)
    assert summary.endswith(".") and len(summary) <= 100
    assert "Second" not in summary


def test_summary_of_one_long_sentence_is_cut_at_a_word():
    summary = summarize("word " * 200, 50)
    assert summary.endswith("…") and len(summary) <= 51


def test_word_count_and_reading_time():
    assert word_count("one two *three*") == 3
    assert word_count("中文新闻") == 4
    # markup is not read: list bullets, heading marks, link targets and tags count nothing
    assert word_count("## Heading\n\n- a [link](https://example.org/a-b-c) <b>bold</b> -- x") == 5
    assert word_count("東京 news — 2024") == 4
    assert reading_minutes("word " * 460) == 2
    assert reading_minutes("") == 1


@given(st.text(alphabet=st.sampled_from(list(" \t\n\u00a0\u2003\u3000\u200b\x1c\x85_-#>*.,—a1é中ß")),
               max_size=60))
@settings(max_examples=400, deadline=None)
def test_a_word_is_a_whitespace_field_holding_a_letter_or_digit(text):
    """The plain definition (CJK characters, here only 中, count one each)."""
    fields = text.replace("中", " ").split()
    assert word_count(text) == sum(any(c.isalnum() for c in f) for f in fields) + text.count("中")


_MARKS = ["*", "**", "***", "****", "_", "__", "___", "`", "``", "```", "~", "~~", " ", "\n",
          "a", "bé", "."]


@given(st.lists(st.sampled_from(_MARKS), max_size=16).map("".join))
@settings(max_examples=800, deadline=None)
def test_emphasis_is_dropped_as_the_plain_rule_says(text):
    """The emphasis rule, in its plain form (one to three * _ or `, or ~~, around text
    that neither starts nor ends with a space): the faster pattern the module uses
    removes exactly the same marks, everywhere."""
    import re
    from sitegen import text as module
    plain = re.compile(r"(\*{1,3}|_{1,3}|`{1,3}|~~)(?=\S)(.{1,300}?)(?<=\S)\1")
    assert module._EMPHASIS.sub(r"\2", text) == plain.sub(r"\2", text)
