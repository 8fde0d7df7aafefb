"""The King James Bible (1611; public domain) from Debian's bible-kjv-text package, read through its `bible` program."""
import re
import shutil
import subprocess
from dataclasses import dataclass

# Books held out of training entirely (their verses form the held-out set).
HELD_OUT_BOOKS = ("Ruth", "Jonah", "Philippians")


@dataclass(frozen=True)
class Verse:
    book: str
    chapter: int
    verse: int
    text: str

    @property
    def ref(self):
        return f"{self.book} {self.chapter}:{self.verse}"


def load_verses(bible_program=None):
    """All 31,102 verses in canonical order. Needs Debian's bible-kjv (program) and bible-kjv-text (data) packages."""
    prog = bible_program or shutil.which("bible") or "/usr/bin/bible"
    out = subprocess.run([prog, "-m", "8192", "-l100000", "gen1:1-rev22:21"], check=True,
                         capture_output=True, text=True).stdout
    verses = []
    book, chapter = None, None
    head = re.compile(r"^(\S.*?) (\d+)$")
    line_re = re.compile(r"^\s+(\d+) (.*)$")
    for line in out.splitlines():
        if not line.strip():
            continue
        m = line_re.match(line)
        if m:
            verses.append(Verse(book, chapter, int(m.group(1)), m.group(2).strip()))
            continue
        m = head.match(line)
        if not m:
            raise ValueError(f"unexpected line from bible: {line!r}")
        book, chapter = m.group(1), int(m.group(2))
    if len(verses) != 31102:
        raise ValueError(f"expected 31102 verses, got {len(verses)}")
    return verses


def split(verses):
    """(train, held_out): held-out = every verse of HELD_OUT_BOOKS."""
    train = [v for v in verses if v.book not in HELD_OUT_BOOKS]
    held = [v for v in verses if v.book in HELD_OUT_BOOKS]
    return train, held
