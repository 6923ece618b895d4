"""Names and texts for seeded accounts and posts, from small built-in word lists (pure, seeded).

Posts are about a few recurring topics, each with its own words and hashtag, so full-text search has
something to find ("sourdough", "#running") and some topics are far more common than others.
"""

from __future__ import annotations

import random
from typing import NamedTuple


class Topic(NamedTuple):
    """What posts about one subject are made of."""

    tag: str
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _topic(tag: str, nouns: str, adjectives: str) -> Topic:
    return Topic(tag, tuple(nouns.split(", ")), tuple(adjectives.split(", ")))


FIRST_NAMES = _words("""
ada alan amara anya arjun bea bruno carla chen dara diego elif emil esme farah felix grace hana hugo
ines ivan jade jonas kai kemal lena leo lina luca maya mei milo nadia nico noor omar oona pablo priya
quinn rafael rosa sami sara sven tariq tess theo uma vera wen xavi yara yusuf zane zoe
""")
NAME_WORDS = _words("""
fern brook stone wren field rivers hart frost vale marsh reed hale moss birch lark finch gale quill ash
north west bloom cove dale ember flint glen heath isle jett knoll lowe mead oak pike rowan
""")
# Earlier topics are picked more often (a Zipf law), so a few subjects dominate, as they do.
TOPICS = (
    _topic("coffee", "espresso, pour-over, beans, grinder, latte, roast", "bitter, smooth, fruity"),
    _topic("running", "marathon, trail, intervals, pace, shoes, tempo run", "hilly, muddy, fast"),
    _topic(
        "python", "asyncio, type hints, pytest, generators, packaging, dataclasses", "typed, clean, async"
    ),
    _topic("sourdough", "starter, loaf, crumb, crust, levain, proofing", "tangy, airy, crusty"),
    _topic("gardening", "tomatoes, compost, seedlings, raised beds, basil, mulch", "green, leafy, sunny"),
    _topic("music", "vinyl, synth, album, playlist, bassline, chorus", "catchy, moody, loud"),
    _topic("climbing", "bouldering, crimps, belay, chalk, overhang, project", "sketchy, steep, clean"),
    _topic("photography", "lens, film, golden hour, portrait, shutter, darkroom", "grainy, sharp, warm"),
    _topic("cycling", "gravel, climb, cadence, tyres, peloton, commute", "windy, rolling, long"),
    _topic(
        "kubernetes", "cluster, pods, helm chart, ingress, operator, node pool", "flaky, scaled, stateless"
    ),
    _topic("books", "novel, chapter, library, poetry, sci-fi, memoir", "gripping, slow, beautiful"),
    _topic(
        "astronomy", "telescope, nebula, meteor shower, eclipse, Jupiter, star chart", "clear, dark, distant"
    ),
)
COMMON_ADJECTIVES = _words("great new little weird perfect quiet busy lovely honest tiny")
PLACES = ("at home", "in the park", "downtown", "by the river", "at work", "on the balcony", "up north")
TIMES = ("this morning", "today", "last night", "this weekend", "after work", "before sunrise", "again")
OPENERS = ("Honestly,", "Okay,", "Small win:", "Hot take:", "Update:", "PSA:", "Reminder:", "Fun fact:")
SENTENCES = (
    "Just tried a {adj} {noun} {place} and I am not going back.",
    "Anyone else obsessed with {noun} {time}?",
    "{opener} {noun} beats everything else I tried {time}.",
    "Spent the whole afternoon on {noun}. Worth it.",
    "The {adj} {noun} {place} made my day.",
    "Still thinking about that {noun} from {time2}.",
    "{opener} nobody talks enough about {noun}.",
    "Third week of {noun} and it finally feels {adj}.",
    "Looking for tips on {noun}; what works for you?",
    "Quick note to self: more {noun}, less scrolling.",
)
COMMENTS = (
    "Love this!",
    "So true.",
    "Where was this?",
    "Great {noun}, thanks for sharing.",
    "I had the same thought about {noun} {time}.",
    "Saving this for later.",
    "Haha, classic {noun}.",
    "Could not agree more.",
    "Any recommendations for {noun}?",
    "This is the content I am here for.",
)
BIOS = (
    "Into {tag} and {tag2}. Opinions my own.",
    "{tag} by day, {tag2} by night.",
    "Mostly {tag}. Sometimes {tag2}.",
    "Writing about {tag}, {tag2} and everything in between.",
)
_TOPIC_WEIGHTS = [1 / (rank + 1) for rank in range(len(TOPICS))]


def usernames(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct usernames like ``maya_fern42`` (lower case, at most 30 characters)."""
    names: list[str] = []
    taken: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)}_{rng.choice(NAME_WORDS)}{rng.randrange(100)}"
        if name in taken:  # many users: widen the space instead of drawing forever
            name = f"{name}_{len(names)}"
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def display_name(username: str) -> str:
    """``maya_fern42`` → ``Maya Fern``."""
    first, _, rest = username.partition("_")
    return f"{first.title()} {rest.rstrip('0123456789_').title()}".strip()


def bio(rng: random.Random) -> str:
    """A short profile text naming two topics."""
    first, second = rng.sample(range(len(TOPICS)), 2)
    return rng.choice(BIOS).format(tag=TOPICS[first].tag, tag2=TOPICS[second].tag)


def post_text(rng: random.Random) -> str:
    """One to three sentences about one topic, sometimes with its hashtag."""
    tag, nouns, adjectives = rng.choices(TOPICS, weights=_TOPIC_WEIGHTS)[0]
    sentences = [_sentence(rng, nouns, adjectives) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
    text = " ".join(sentences)
    if rng.random() < 0.4:
        text += f" #{tag}"
    return text


def _sentence(rng: random.Random, nouns: tuple[str, ...], adjectives: tuple[str, ...]) -> str:
    return rng.choice(SENTENCES).format(
        adj=rng.choice(adjectives + COMMON_ADJECTIVES),
        noun=rng.choice(nouns),
        place=rng.choice(PLACES),
        time=rng.choice(TIMES),
        time2=rng.choice(TIMES).removeprefix("this "),
        opener=rng.choice(OPENERS),
    )


def comment_text(rng: random.Random) -> str:
    """A short reaction, sometimes naming a topic word."""
    topic = rng.choices(TOPICS, weights=_TOPIC_WEIGHTS)[0]
    return rng.choice(COMMENTS).format(noun=rng.choice(topic.nouns), time=rng.choice(TIMES))
