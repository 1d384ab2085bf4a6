"""Routes and indexes, without a disk: which pages a site has and what they list."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sitegen.config import default_config
from sitegen.indexes import build_index, patch_index, placement
from sitegen.model import Article, Topic
from sitegen.routes import site_families, site_jobs

START = datetime(2023, 12, 30, 12, tzinfo=timezone.utc)
TOPICS = {"world": Topic("world", "World"), "economy": Topic("economy", "Economy")}


def article(n: int, topics=("world",), source="Wire") -> Article:
    return Article(path=f"{n}.md", id=f"id-{n}", title=f"Story {n}", date=START + timedelta(days=n),
                   slug=f"story-{n}", body="Body.", html="<p>Body.</p>", summary="Body.",
                   source=source, source_slug=source.lower() if source else None, topics=topics)


@pytest.fixture
def jobs():
    articles = [article(n, ("world", "economy") if n % 2 else ("world",)) for n in range(45)]
    index = build_index(articles, TOPICS)
    config = default_config(Path("/tmp/site"))
    return index, {job.url: job for job in site_jobs(index, config)}


def test_every_output_path_is_distinct(jobs):
    index, by_url = jobs
    config = default_config(Path("/tmp/site"))
    outputs = [job.output for job in site_jobs(index, config)]
    assert len(outputs) == len(set(outputs))


def test_home_is_paginated_newest_first(jobs):
    _, by_url = jobs
    first, third = by_url[""].context["pager"], by_url["page/3/"].context["pager"]
    assert first.total == 3 and len(first.items) == 20 and len(third.items) == 5
    assert first.items[0].title == "Story 44" and third.items[-1].title == "Story 0"
    assert first.next_url == "page/2/" and first.prev_url is None
    assert "page/4/" not in by_url


def test_date_topic_and_source_pages(jobs):
    _, by_url = jobs
    assert {"2023/", "2024/", "2023/12/", "2024/01/", "2024/02/", "2023/12/30/", "archive/"} <= set(by_url)
    assert len(by_url["2024/"].context["pager"].items) == 20
    assert by_url["2024/page/2/"].context["pager"].total == 3
    assert [c[0] for c in by_url["2024/"].context["children"]] == ["January", "February"]
    assert by_url["topics/economy/"].context["pager"].items[0].title == "Story 43"
    assert "topics/economy/page/2/" in by_url and "sources/wire/page/3/" in by_url
    for feed in ("feed.xml", "atom.xml", "topics/world/feed.xml", "sources/wire/atom.xml"):
        assert by_url[feed].kind == "feed"
    assert len(by_url["feed.xml"].context["feed"].items) == 45  # under the limit of 50


def test_neighbours_and_related(jobs):
    _, by_url = jobs
    page = by_url["2024/01/05/story-6/"].context
    assert page["previous"].title == "Story 5" and page["next"].title == "Story 7"
    related = page["related"]
    assert related and all(r.id != "id-6" for r in related)
    assert len(related) <= 5
    oldest = by_url["2023/12/30/story-0/"].context
    assert oldest["previous"] is None and oldest["next"].title == "Story 1"


def test_archive_lists_every_month_of_each_year(jobs):
    _, by_url = jobs
    years = by_url["archive/"].context["years"]
    assert [y["key"] for y in years] == ["2024", "2023"]
    assert len(years[0]["months"]) == 12
    assert years[1]["months"][11]["count"] == 2 and years[1]["months"][0]["count"] == 0


def test_sitemap_lists_html_pages_but_not_the_404(jobs):
    _, by_url = jobs
    entries = dict(by_url["sitemap.xml"].context["entries"])
    assert "" in entries and "2024/01/05/story-6/" in entries and "404.html" not in entries
    assert "feed.xml" not in entries


def test_canonical_points_to_the_original_article_by_default():
    original = replace(article(1), source_url="https://wire.example/1")
    index = build_index([original], TOPICS)
    config = default_config(Path("/tmp/site"))
    [job] = [j for j in site_jobs(index, config) if j.kind == "article"]
    assert job.context["canonical"] == "https://wire.example/1"


def test_related_articles_are_reused_only_while_orders_topics_and_sources_stay():
    articles = [article(n, ("world", "economy") if n % 3 else ("economy",)) for n in range(20)]
    first = build_index(articles, TOPICS)
    # a body or title edit keeps the key: the remembered answer is taken as it is
    edited = [replace(a, title="Edited", body="New body.") if a.id == "id-4" else a
              for a in articles]
    planted = (first.related_memo[0], [()] * len(articles), first.related_memo[2])
    assert all(r == () for r in build_index(edited, TOPICS, planted).related.values())
    # a topics change does not: related articles are worked out again
    moved = [replace(a, topics=("world",)) if a.id == "id-4" else a for a in articles]
    again = build_index(moved, TOPICS, first.related_memo)
    assert again.related_memo[0] != first.related_memo[0]
    assert again.related == build_index(moved, TOPICS).related
    assert any(again.related.values())
    # a memo of another form (an older sitegen's cache) is not used
    assert build_index(moved, TOPICS, planted[:2]).related == again.related


def test_related_articles_are_reused_when_articles_come_and_go():
    """A new article, or one removed, changes only the answers of the articles near it
    in its lists (the daily case: today's news comes in); the others keep the remembered
    answer, moved to their new positions."""
    from sitegen.indexes import _RELATED_WINDOW
    articles = [article(n, ("world",) if n % 2 else ("economy",), None) for n in range(80)]
    first = build_index(articles, TOPICS)
    planted = (first.related_memo[0], [()] * len(articles), first.related_memo[2])
    for now in (articles + [article(100, ("world",), None)],       # the newest, on top
                [a for a in articles if a.id != "id-40"]):        # one in the middle went
        index = build_index(now, TOPICS, planted)
        kept = [a.id for a in index.articles if index.related[a.id] == ()]
        worked = [a.id for a in index.articles if index.related[a.id]]
        assert len(worked) <= 2 * _RELATED_WINDOW + 2 and len(kept) >= len(now) - len(worked)
        assert set(worked) < {a.id for a in now}
        fresh = build_index(now, TOPICS)
        assert all(index.related[i] == fresh.related[i] for i in worked)


@pytest.mark.parametrize("seed", range(12))
def test_related_articles_worked_out_again_in_part_equal_a_fresh_answer(seed: int):
    """After some articles change topics or source, the articles whose neighbourhoods did
    not change keep their remembered answer: the whole equals an index made from scratch,
    also after new, removed or re-dated articles (which change the order)."""
    import random
    rng = random.Random(seed)
    names = ["world", "economy", "health", "science", "sport"]

    def story(n: int) -> Article:
        return article(n, tuple(rng.sample(names, rng.randint(0, 3))),
                       rng.choice(["Wire", "Daily", None]))

    articles = [story(n) for n in range(rng.randint(1, 400))]
    index = build_index(articles, TOPICS)
    for _ in range(6):
        changed = rng.sample(range(len(articles)), min(len(articles), rng.choice([1, 2, 5, 30])))
        for n in changed:
            articles[n] = replace(articles[n], topics=story(n).topics,
                                  source_slug=rng.choice(["wire", "daily", None]))
        if rng.random() < 0.3:
            articles.append(story(len(articles) + 1000))
        if rng.random() < 0.3:   # one dated among the others
            articles.append(replace(story(len(articles) + 5000), date=START + timedelta(
                days=rng.randint(0, len(articles)), hours=1)))
        if rng.random() < 0.2 and len(articles) > 1:
            articles.pop(rng.randrange(len(articles)))
        if rng.random() < 0.2:
            n = rng.randrange(len(articles))
            articles[n] = replace(articles[n], date=articles[n].date + timedelta(days=3))
        patched = build_index(articles, TOPICS, index.related_memo)
        fresh = build_index(articles, TOPICS)
        assert patched.related == fresh.related and patched.related_memo == fresh.related_memo
        index = patched


def _random_site(rng, count: int) -> list[Article]:
    names = ["world", "economy", "health"]
    return [replace(article(n, tuple(rng.sample(names, rng.randint(0, 2))),
                            rng.choice(["Wire", "Daily", None])),
                    date=START + timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 3)),
                    digest=f"v0-{n}")
            for n in range(count)]


def _edit(rng, a: Article) -> Article:
    """A new version of ``a`` with the same structure: another file, title, summary."""
    return replace(a, title=f"{a.title} {rng.random():.3f}", summary="Changed.",
                   digest=f"{a.digest}+", reading_minutes=a.reading_minutes + 1)


@pytest.mark.parametrize("seed", range(10))
def test_a_patched_index_equals_a_fresh_one(seed: int):
    import random
    rng = random.Random(seed)
    articles = _random_site(rng, rng.randint(1, 120))
    index = build_index(articles, TOPICS)
    for _ in range(4):
        chosen = rng.sample(range(len(articles)), min(len(articles), rng.choice([1, 2, 7])))
        new = {}
        for n in chosen:
            articles[n] = new[articles[n].id] = _edit(rng, articles[n])
        index = patch_index(index, new)
        assert index == build_index(articles, TOPICS)
    with pytest.raises(ValueError):   # another placement is not patched in
        patch_index(index, {articles[0].id: replace(articles[0], topics=("other",))})
    assert placement(articles[0]) == placement(replace(articles[0], slug="moved"))
    moved = {a.id: replace(a, slug=f"{a.slug}-moved") for a in articles[:3]}  # same places
    articles[:3] = moved.values()
    assert patch_index(index, moved) == build_index(articles, TOPICS)


@pytest.mark.parametrize("seed", range(10))
def test_focused_families_of_moved_articles_include_the_sitemap_from_its_entries(seed: int):
    """Articles moved to another URL (a new slug): the focused families, given the last
    sitemap's entries with the URLs moved, include the sitemap's family, of the same key
    and jobs as the whole site's; every family whose key the move changed is made."""
    import random
    from sitegen import urls
    rng = random.Random(seed)
    config = replace(default_config(Path("/tmp/site")), per_page=rng.choice([2, 3, 20]))
    articles = _random_site(rng, rng.randint(1, 90))
    before = {f.name: f for f in site_families(build_index(articles, TOPICS), config)}
    entries = before["extras"].make()[0].context["entries"]
    moves = {}
    for n in rng.sample(range(len(articles)), min(len(articles), rng.choice([1, 1, 3]))):
        old = articles[n]
        articles[n] = replace(old, slug=f"{old.slug}-{rng.randint(0, 9)}", title="Moved")
        moves[urls.article(old.date, old.slug)] = urls.article(old.date, articles[n].slug)
    index = build_index(articles, TOPICS)
    after = {f.name: f for f in site_families(index, config)}
    focused = {f.name: f for f in site_families(
        index, config, list({a.id for a in articles if a.title == "Moved"}),
        sitemap=lambda: [(moves.get(url, url), lastmod) for url, lastmod in entries])}
    changed = {name for name in after if after[name].key != before[name].key}
    assert "extras" in changed and changed <= set(focused)
    for name, family in focused.items():
        assert family.key == after[name].key
        assert [(j.output, j.context) for j in family.make()] == \
            [(j.output, j.context) for j in after[name].make()]


@pytest.mark.parametrize("seed", range(10))
def test_focused_families_are_exactly_those_an_edit_changes(seed: int):
    """With a focus on edited articles, the families made are those of the whole site
    whose key the edit changed (or that show the edited articles), with the same keys and
    the same jobs; every other family of the whole site kept its key."""
    import random
    rng = random.Random(seed)
    config = replace(default_config(Path("/tmp/site")), per_page=rng.choice([2, 3, 20]))
    articles = _random_site(rng, rng.randint(1, 90))
    before = {f.name: f for f in site_families(build_index(articles, TOPICS), config)}
    chosen = rng.sample(range(len(articles)), min(len(articles), rng.choice([1, 1, 3])))
    for n in chosen:
        articles[n] = _edit(rng, articles[n])
    index = build_index(articles, TOPICS)
    after = {f.name: f for f in site_families(index, config)}
    focused = {f.name: f for f in
               site_families(index, config, [articles[n].id for n in chosen])}
    assert set(after) == set(before)
    changed = {name for name in after if after[name].key != before[name].key}
    assert changed <= set(focused)
    assert {name for name in focused if name.startswith("article:")} >= {
        f"article:{articles[n].id}" for n in chosen}
    for name, family in focused.items():
        assert family.key == after[name].key
        assert [(j.output, j.context) for j in family.make()] == \
            [(j.output, j.context) for j in after[name].make()]
    unchanged_shown = set(focused) - changed
    assert all(name.startswith(("home", "article", "day", "month", "year", "topic", "source",
                                "feeds")) for name in unchanged_shown)
