"""Encoding detection and streaming transcoding of CSV files.

Departments send UTF-8, UTF-8 with BOM or GB18030 without saying which. DuckDB's CSV reader reads UTF-8
only (its `encodings` extension downloads at run time, which fails in closed networks), so a GB18030 file is
transcoded to a UTF-8 temporary file in fixed-size chunks: memory stays bounded whatever the file's size.
The same pass that checks UTF-8 also computes the file's SHA-256 checksum, counts the file's records by its line
breaks outside quotes and looks for misquoted CSV fields (`RecordCounter`).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 22  # 4 MiB


class UnreadableFile(Exception):
    """A file that is neither UTF-8 (with or without BOM), UTF-16 with BOM, nor GB18030 (or mixes them).
    `records`: the file's records as counted by the byte scan, when known."""

    records: int | None = None


@dataclass(frozen=True)
class FileScan:
    sha256: str
    size: int
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "gb18030" (to be confirmed by transcoding), or
    # "utf-8-truncated" (valid UTF-8 cut off inside its last character: refused by `to_utf8`)
    stray_quote: bool = False  # a CSV field may be misquoted (`RecordCounter.stray`); always true for UTF-16
    records: "RecordCount | None" = None  # records by line breaks outside quotes (None for UTF-16: see to_utf8)


@dataclass(frozen=True)
class RecordCount:
    """A file's records as its bytes say, independently of DuckDB's reader: non-empty lines whose line break
    lies outside quotes (the header is the first). `unclosed` when the file ends inside a quoted field, so no
    count can be trusted."""

    lines: int
    unclosed: bool
    quoted_breaks: bool = False  # some quoted field holds a line break (a record spans lines)

    @property
    def records(self) -> int:
        return max(0, self.lines - 1)


_NEWLINE_RUN = re.compile(rb"\n{2,}")
# In the text outside quotes, where `"` stands for one whole quoted field: a quoted field followed by text
# (`"李"abc`: text after its closing quote) or preceded by text (`李"秀"英`: a quote inside an unquoted field).
# Both start with a literal quote (the second is searched in the reversed text), so the engine skips from quote
# to quote at memchr speed, in C.
_FIELD_THEN_TEXT = re.compile(rb'"[^,\r\n"]')


def _count_lines(text: bytes, content: bool) -> tuple[int, bool]:
    """(non-empty lines completed in `text`, whether its last line has content so far), given whether the line
    it continues has content. Counted with `count`, never line by line; empty lines are not counted."""
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\n\n" in text:
        text = _NEWLINE_RUN.sub(b"\n", text)
    breaks = text.count(b"\n")
    if breaks == 0:
        return 0, content or bool(text)
    return breaks - (1 if text[:1] == b"\n" and not content else 0), not text.endswith(b"\n")


class RecordCounter:
    """Counts the non-empty lines of a CSV file whose line break is outside quotes, chunk by chunk, at C speed:
    `split(b'"')` cuts a chunk at every quote, the pieces outside quotes are every other piece (the quote state
    carried from chunk to chunk), and they are joined back with a quote byte (a quoted field then reads as one
    character of content) and their line breaks counted. No Python loop runs per row or per field.

    The model is RFC 4180's: every quote byte toggles "inside a quoted field" (an escaped `""` toggles twice).
    A quote inside an unquoted field (`x"y`), which DuckDB reads as a literal, breaks the pairing; the count
    then disagrees with the reader's, or the file seems to end inside a quote, and the delivery is refused
    rather than risk the silent loss of an opening quote that never closes (`,"王磊,` swallows the rest of
    the file in DuckDB's lenient reader). Line breaks: LF, CRLF and bare CR. Empty lines are not records
    (DuckDB skips them); a line of spaces is one. Bytes are examined as they are: in UTF-8 and GB18030 the
    quote, comma and line-break bytes never occur inside a multi-byte character.

    `stray`: a quoted field followed or preceded by text was seen (`"李"abc`, `李"秀"英`). DuckDB's lenient
    reader does not refuse `"李"abc`: it silently reads `李ab`, so such a file needs a strict second read."""

    def __init__(self) -> None:
        self.inside = False  # inside a quoted field at the end of what was fed
        self.lines = 0  # completed non-empty lines
        self.content = False  # the current (unfinished) line has content
        self.stray = False
        self.quoted_breaks = False

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if not self.inside and b'"' not in chunk:  # most chunks of most files: nothing to split
            completed, self.content = _count_lines(chunk, self.content)
            self.lines += completed
            return
        pieces = chunk.split(b'"')
        outside = b'"'.join(pieces[1 if self.inside else 0::2])
        if self.inside:
            outside = b'"' + outside  # a quoted field is content of its line, even cut between chunks
        if len(pieces) % 2 == 0:  # an odd number of quotes in the chunk flips the state
            self.inside = not self.inside
        if self.inside:
            outside += b'"'
        if not self.quoted_breaks:  # line breaks that are not outside quotes are inside them (C counts only)
            self.quoted_breaks = (chunk.count(b"\n") + chunk.count(b"\r")
                                  != outside.count(b"\n") + outside.count(b"\r"))
        if not self.stray and len(pieces) > 1:
            self.stray = bool(_FIELD_THEN_TEXT.search(outside) or _FIELD_THEN_TEXT.search(outside[::-1]))
        # (a CRLF cut between two chunks reads as CR, then an empty line: empty lines are not counted)
        completed, self.content = _count_lines(outside, self.content)
        self.lines += completed

    def result(self) -> RecordCount:
        return RecordCount(self.lines + int(self.content), self.inside, self.quoted_breaks)


def count_records(path: Path) -> RecordCount:
    """`RecordCounter` over a file as it is now (a file that changed since its scan is counted again)."""
    counter = RecordCounter()
    with open(path, "rb") as handle:
        for index, chunk in enumerate(iter(lambda: handle.read(CHUNK), b"")):
            counter.feed(chunk[len(codecs.BOM_UTF8):] if index == 0 and chunk.startswith(codecs.BOM_UTF8) else chunk)
    return counter.result()


def count_lines(path: Path) -> int:
    """Non-empty lines of a file, quotes ignored (LF, CRLF or CR): how the records of a file whose quotes do
    not pair up are counted when it is set aside (exact unless a field held a line break). Streaming."""
    lines, content = 0, False
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            completed, content = _count_lines(chunk, content)
            lines += completed
    return lines + int(content)


def sha256_of(path: Path) -> str:
    """The file's SHA-256 alone (the same digest as `scan`): all a night needs to recognise a delivery it
    already loaded, at hashing speed rather than at the speed of the UTF-8 and quote checks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def scan(path: Path) -> FileScan:
    """Checksum the file, tell whether it is valid UTF-8 and whether a CSV field may be misquoted, in one
    streaming pass."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    counter = RecordCounter()
    utf8_ok = True
    size = 0
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            body = chunk[len(codecs.BOM_UTF8):] if size == 0 and chunk.startswith(codecs.BOM_UTF8) else chunk
            counter.feed(body)
            size += len(chunk)
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
        truncated = False
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                # Valid UTF-8 up to an incomplete character at the very end: a UTF-8 file cut off in transfer.
                # Said so: read as GB18030, whose two-byte pairs accept most UTF-8 bytes, it would be rejected
                # as "required column(s) missing" from mojibake headers, which misleads the sender.
                utf8_ok, truncated = False, size > 0
    if truncated:
        encoding = "utf-8-truncated"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig" if utf8_ok else "gb18030"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8" if utf8_ok else "gb18030"
    # UTF-16's quote and line-break bytes can occur inside its characters: it is counted as it is transcoded
    records = None if encoding == "utf-16" else counter.result()
    return FileScan(digest.hexdigest(), size, encoding, counter.stray or encoding == "utf-16", records)


# A GB18030 file can hold lines written in UTF-8 (two exports pasted together): GB18030 reads them without any
# error, as other characters (王磊 as 鐜嬬ｊ). Such garbled text nearly always leaves GB2312, the character set
# that nearly all department text stays in, so the decoded text is encoded to GB2312 once per chunk (in C); only
# where that fails (a rare character, or garbled text) is the line looked at in Python, and it is a UTF-8 line if
# its bytes are valid UTF-8 holding at least two non-ASCII characters (a genuine GB18030 line almost never is).
_marks = threading.local()  # where the encoder found characters outside GB2312 (per thread: sources may run at once)


def _note_outside_gb2312(error: UnicodeEncodeError) -> tuple[bytes, int]:
    _marks.positions.append(error.start)
    return b"?", error.end


codecs.register_error("hedui-outside-gb2312", _note_outside_gb2312)


def _utf8_written_line(text: str) -> int | None:
    """Offset in `text` (complete lines of a decoded GB18030 file) of the first line written in UTF-8, or None."""
    _marks.positions = []
    text.encode("gb2312", errors="hedui-outside-gb2312")
    checked_up_to = -1
    for position in _marks.positions:
        if position <= checked_up_to:
            continue
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        checked_up_to = end
        raw = text[start:end].encode("gb18030")
        try:
            as_utf8 = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if sum(1 for ch in as_utf8 if ord(ch) > 0x7F) >= 2:  # Python over one line, only where flagged
            return start
    return None


def to_utf8(path: Path, encoding: str, target: Path, counter: RecordCounter | None = None) -> Path:
    """Return a path DuckDB can read as UTF-8: the file itself, or a transcoded copy at `target`. `counter`, if
    given, counts the records of the UTF-8 text written (how a UTF-16 file is counted).

    A GB18030 file holding lines written in UTF-8 (two exports pasted together) is refused: those lines would
    otherwise load with every Chinese character replaced by another, in silence."""
    if encoding in ("utf-8", "utf-8-sig"):
        return path
    if encoding == "utf-8-truncated":
        raise UnreadableFile("the file ends in the middle of a UTF-8 character: cut off in transfer (truncated)")
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines_before = 0  # physical lines of the file before `tail`
    tail = ""
    check_mixed = encoding == "gb18030"
    try:
        with open(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                text = decoder.decode(chunk)
                dst.write(text)
                if counter is not None:
                    counter.feed(text.encode("utf-8"))
                if check_mixed:
                    data = tail + text
                    cut = data.rfind("\n") + 1
                    _refuse_utf8_lines(data[:cut], lines_before)
                    lines_before += data.count("\n", 0, cut)
                    tail = data[cut:]
                offset += len(chunk)
            if check_mixed:
                _refuse_utf8_lines(tail, lines_before)
            try:
                dst.write(decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                # Everything decoded but a dangling lead byte at the end: the file was cut off, say so.
                raise UnreadableFile(
                    f"the file ends in the middle of a {encoding.upper()} character: cut off in transfer (truncated)"
                ) from None
    except UnicodeDecodeError as exc:
        target.unlink(missing_ok=True)
        raise UnreadableFile(
            f"not readable as UTF-8 or {encoding.upper()} (bad bytes near byte {offset + exc.start})"
        ) from None
    except UnreadableFile:
        target.unlink(missing_ok=True)
        raise
    return target


def _refuse_utf8_lines(data: str, lines_before: int) -> None:
    at = _utf8_written_line(data)
    if at is not None:
        line = lines_before + data.count("\n", 0, at) + 1
        raise UnreadableFile(
            f"mixed encodings: the file is GB18030, but line {line} was written in UTF-8 and would be read as "
            "other characters; refused (re-export the whole file in one encoding)"
        )
