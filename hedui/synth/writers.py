"""Writing deliveries the way departments send them: headers by sender, column order, encodings, splits,
XLSX title rows. A writer streams: rows arrive in batches and go straight to disk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030"]
ENCODING_P = [0.35, 0.25, 0.4]
FIXED_CREATED = dt.datetime(2026, 1, 1)


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


def header_for(col: Column, sender: int) -> str:
    if sender == 0 or not col.aliases:
        return col.name
    return col.aliases[min(sender, len(col.aliases)) - 1]


def _quote(col: np.ndarray) -> np.ndarray:
    joined = "\x00".join(col.tolist())
    if "," not in joined and '"' not in joined and "\n" not in joined:
        return col
    return np.array([f'"{v.replace(chr(34), chr(34) * 2)}"' if ("," in v or '"' in v or "\n" in v) else v
                     for v in col.tolist()], dtype=object)


class DeliveryWriter:
    """All files of one delivery. `write` appends a batch and returns (file name, row_number) per row."""

    def __init__(self, root: Path, source: str, date: dt.date, columns: list[Column], rng: np.random.Generator,
                 *, xlsx: bool = False, rows_per_file: int, drop: tuple[str, ...] = (), title_rows: int = 0,
                 title: str = ""):
        self.dir = root / source / date.strftime("%Y%m%d")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.stamp = date.strftime("%Y%m%d")
        self.xlsx = xlsx
        self.rows_per_file = rows_per_file
        self.rng = rng
        self.sender = int(rng.integers(0, 3))
        cols = [c for c in columns if c.name not in drop]
        order = list(range(len(cols)))
        if self.sender == 1 or (self.sender == 2 and rng.random() < 0.5):
            rng.shuffle(order)
        self.cols = [cols[i] for i in order]
        self.extra_front = self.sender == 2  # an unknown 序号 column
        self.extra_back = self.sender == 2 and rng.random() < 0.5  # an unknown, empty 备注 column
        self.header = ([("序号")] if self.extra_front else []) + [header_for(c, self.sender) for c in self.cols] + (
            ["备注"] if self.extra_back else [])
        self.title_rows = title_rows
        self.title = title
        self.files: list[str] = []
        self.rows = 0
        self._part_rows = 0
        self._fh = None
        self._wb = None
        self._ws = None
        self._enc = "utf-8"
        self._eol = "\n"

    # ---- files ----
    def _open(self) -> None:
        self._close_current()
        part = len(self.files) + 1
        name = f"{self.source}_{self.stamp}_{part:02d}.{'xlsx' if self.xlsx else 'csv'}"
        self.files.append(name)
        self._part_rows = 0
        path = self.dir / name
        if self.xlsx:
            import xlsxwriter

            self._wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
            self._wb.set_properties({"created": FIXED_CREATED})
            self._ws = self._wb.add_worksheet("Sheet1")
            lines = [self.title, "", "单位：人"][: self.title_rows]
            for i, t in enumerate(lines):
                if t:
                    self._ws.write_string(i, 0, t)
            self._ws.write_row(self.title_rows, 0, self.header)
        else:
            self._enc = ENCODINGS[int(self.rng.choice(3, p=ENCODING_P))]
            self._eol = "\r\n" if self._enc == "gb18030" else "\n"
            self._fh = open(path, "wb")
            self._fh.write((",".join(self.header) + self._eol).encode(self._enc))
            if self._enc == "utf-8-sig":
                self._enc = "utf-8"  # the BOM only at the start of the file

    def _close_current(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._wb is not None:
            self._wb.close()
            self._wb = None
            self._ws = None

    def close(self) -> None:
        if not self.files:
            self._open()  # an empty delivery is a header-only file
        self._close_current()

    # ---- rows ----
    def write(self, values: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        n = len(next(iter(values.values()))) if values else 0
        file_of = np.empty(n, dtype=object)
        rownum = np.empty(n, dtype=np.int64)
        start = 0
        while start < n:
            if self._fh is None and self._wb is None or self._part_rows >= self.rows_per_file:
                self._open()
            take = min(n - start, self.rows_per_file - self._part_rows)
            sl = slice(start, start + take)
            first = self._part_rows + 1
            file_of[sl] = self.files[-1]
            rownum[sl] = np.arange(first, first + take)
            cols = [values[c.name][sl] for c in self.cols]
            if self.xlsx:
                self._write_xlsx(cols, first, take)
            else:
                self._write_csv(cols, first, take)
            self._part_rows += take
            self.rows += take
            start += take
        return file_of, rownum

    def _write_csv(self, cols: list[np.ndarray], first: int, take: int) -> None:
        cols = [_quote(c) for c in cols]
        if self.extra_front:
            cols.insert(0, np.arange(first, first + take).astype(str).astype(object))
        if self.extra_back:
            cols.append(np.full(take, "", dtype=object))
        lines = self._eol.join(map(",".join, zip(*[c.tolist() for c in cols])))
        self._fh.write((lines + self._eol).encode(self._enc))

    def _write_xlsx(self, cols: list[np.ndarray], first: int, take: int) -> None:
        base = self.title_rows + first  # header row index is title_rows; data row 1 is the next
        ws = self._ws
        ws_str, ws_date, ws_num = ws.write_string, ws.write_datetime, ws.write_number
        off = 1 if self.extra_front else 0
        rows = list(zip(*[c.tolist() for c in cols]))
        for i, row in enumerate(rows):
            r = base + i
            if off:
                ws_num(r, 0, first + i)
            for j, v in enumerate(row):
                if v.__class__ is str:
                    if v:
                        ws_str(r, j + off, v)
                else:
                    ws_date(r, j + off, v)
