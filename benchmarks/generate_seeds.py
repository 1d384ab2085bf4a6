"""Deterministic generator of realistic news seeds for benchmarks.

    python benchmarks/generate_seeds.py N OUT_DIR [--seed 1]

Writes N seeds in the seed format of product.md: varied publishers and dateline styles,
topics drawn from the default taxonomy's keywords, dates spread over several years (in the
source URL's path, as many publishers do), and 400-900 words of Markdown-ish prose with
links, emphasis, lists and quotes. The same N and --seed always give the same files.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import date, timedelta
from pathlib import Path

PUBLISHERS = [
    ("Reuters", "www.reuters.com", "{PLACE} ({agency}) - "),
    ("Associated Press", "apnews.com", "{PLACE}, {region} ({agency}) — "),
    ("Radio Habana Cuba", "www.radiohc.cu", "{Place}, {Month} {day} ({agency})-- "),
    ("Al Jazeera", "www.aljazeera.com", ""),
    ("CNN", "edition.cnn.com", "({agency}) — "),
    ("El País", "elpais.com", "{PLACE} — "),
    ("The Guardian", "www.theguardian.com", ""),
    ("BBC News", "www.bbc.com", ""),
    ("Le Monde", "www.lemonde.fr", "{PLACE} — "),
    ("Deutsche Welle", "www.dw.com", "{PLACE}, {Month} {day} ({agency}) - "),
    ("NPR", "www.npr.org", ""),
    ("France 24", "www.france24.com", "{PLACE} ({agency}) – "),
]
AGENCIES = {"Reuters": "Reuters", "Associated Press": "AP", "Radio Habana Cuba": "RHC",
            "CNN": "CNN", "Deutsche Welle": "DW", "France 24": "AFP"}
PLACES = [("Washington", "D.C."), ("London", "England"), ("Madrid", "Spain"), ("Havana", "Cuba"),
          ("Nairobi", "Kenya"), ("Tokyo", "Japan"), ("Brasília", "Brazil"), ("Kyiv", "Ukraine"),
          ("Cairo", "Egypt"), ("Geneva", "Switzerland"), ("New Delhi", "India"),
          ("Mexico City", "Mexico"), ("Berlin", "Germany"), ("Jerusalem", "Israel")]
SUBJECTS = ["Diplomats", "Officials", "Economists", "Aid agencies", "Scientists", "Lawmakers",
            "Health workers", "Investors", "Climate negotiators", "Human rights groups",
            "Election observers", "Farmers", "Students", "Engineers", "Central bankers"]
VERBS = ["warned", "said", "announced", "argued", "reported", "confirmed", "denied",
         "welcomed", "criticised", "estimated", "questioned", "promised"]
OBJECTS = ["the ceasefire talks", "new sanctions", "the trade agreement", "rising inflation",
           "the humanitarian crisis", "record emissions", "the vaccine rollout",
           "the security council vote", "the central bank's interest rate decision",
           "the refugee camp", "the drought", "the semiconductor shortage", "the summit",
           "the election results", "the peace negotiations", "the World Cup qualifiers",
           "the new telescope", "the film festival", "the cyberattack", "the budget"]
CLAUSES = ["as tensions remained high", "after weeks of negotiations", "despite strong opposition",
           "according to people familiar with the matter", "in a statement on Tuesday",
           "amid growing concern in the region", "ahead of next month's meeting",
           "while markets waited for clarity", "in remarks to reporters",
           "citing figures from the United Nations"]
TITLE_TEMPLATES = ["{subject} {verb} over {object}", "{place} braces for {object}",
                   "What {object} means for {place}", "{subject} in {place} {verb} on {object}",
                   "Inside {object}: {subject} {verb}", "{place}: {object} tests {subject_l}"]
WORDS = ("the of and to in a is that for on with as was by at from this it an be are have has "
         "but not they which or their had were been its more after new also when who would "
         "there about into than other over some could only what its two people year government "
         "minister president country police week report million state city group public").split()


def sentence(rng: random.Random) -> str:
    text = (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} that {rng.choice(OBJECTS)} "
            f"{rng.choice(CLAUSES)}, " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, host: str) -> str:
    parts = [sentence(rng) for _ in range(rng.randint(2, 5))]
    roll = rng.random()
    if roll < 0.2:
        i = rng.randrange(len(parts))
        parts[i] = parts[i].replace(" that ", f" that [{rng.choice(OBJECTS)}](https://{host}/related/"
                                              f"{rng.randint(1000, 99999)}) ", 1)
    elif roll < 0.35:
        parts[0] = parts[0].replace(rng.choice(VERBS), f"*{rng.choice(VERBS)}*", 1)
    elif roll < 0.45:
        parts[-1] = parts[-1][:-1] + f", **{rng.choice(OBJECTS)}**."
    return " ".join(parts)


def body(rng: random.Random, host: str) -> str:
    blocks, words, target = [], 0, rng.randint(400, 900)
    while words < target:
        roll = rng.random()
        if roll < 0.08:
            block = "\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 4)))
        elif roll < 0.14:
            block = f"> “{sentence(rng)}” {rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)}."
        else:
            block = paragraph(rng, host)
        blocks.append(block)
        words += len(block.split())
    return "\n\n".join(blocks)


def seed_text(rng: random.Random, n: int, day: date) -> str:
    publisher, host, dateline = rng.choice(PUBLISHERS)
    place, region = rng.choice(PLACES)
    subject, obj = rng.choice(SUBJECTS), rng.choice(OBJECTS)
    title = rng.choice(TITLE_TEMPLATES).format(subject=subject, verb=rng.choice(VERBS), object=obj,
                                               place=place, subject_l=subject.lower())
    title = f"{title[0].upper()}{title[1:]} ({n})"
    prefix = dateline.format(PLACE=place.upper(), Place=place, region=region,
                             agency=AGENCIES.get(publisher, publisher), Month=day.strftime("%B"),
                             day=day.day)
    caption = f"**{sentence(rng)}**\n\n" if rng.random() < 0.5 else ""
    url = f"https://{host}/{day:%Y/%m/%d}/{n}-{title.split()[0].lower()}-story"
    text = body(rng, host)
    return (f"# *{title}*\n\n---\n\n{caption}{prefix}{text}\n\n---\n\n<{url}>\n\n"
            f"**{publisher}**\n")


def generate(count: int, out: Path, seed: int = 1) -> None:
    """Write ``count`` seeds into ``out`` (created), dated over about five years."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    start, span = date(2019, 1, 1), 5 * 365
    for n in range(count):
        day = start + timedelta(days=rng.randrange(span))
        path = out / f"{n:06d}.txt"
        path.write_text(seed_text(rng, n, day), encoding="utf-8")
        os.utime(path, (1_700_000_000, 1_700_000_000))  # fixed mtime: deterministic import


def newest(n: int, out: Path) -> Path:
    """Write seed ``n`` of today's news into ``out``: dated after every seed
    :func:`generate` writes, so it tops the home page and the lists it is on."""
    path = out / f"new-{n:04d}.txt"
    path.write_text(seed_text(random.Random(f"newest {n}"), 1_000_000 + n,
                              date(2024, 1, 5) + timedelta(days=n)), encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.count, args.out, args.seed)


if __name__ == "__main__":
    main()
