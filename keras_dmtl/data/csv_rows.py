"""Reads the rows of a CSV file with the line numbers an editor shows."""

import contextlib
import csv


@contextlib.contextmanager
def csv_rows(path, delimiter=","):
    """Opens a CSV file: its header and an iterator over its data rows.

    Line numbers count every line of the file from 1, the header line and
    blank lines included, so "row 8" is the line an editor shows as 8 (for
    a row whose quoted cell spans lines, the line it starts on). Blank lines
    (empty or white space only) are skipped, as pandas skips them. A row
    with fewer cells than the header is padded with empty cells; one with
    more must have them empty, else it comes with a `problem`.

    Args:
        path: the CSV file (UTF-8, with or without a byte-order mark).
        delimiter: the cell separator.

    Yields:
        `(header, rows)`: the list of column names, and an iterator of
        `(line, cells, problem)`: `cells` a dict from column name to text,
        `problem` None, or what is wrong with the row ("5 cells, the header
        has 3").

    Raises:
        ValueError: naming the file (and line) when it is not UTF-8 text or
            not CSV, or when its header is missing or repeats a column.

    Example:

    ```python
    with csv_rows("labels.csv") as (header, rows):
        for line, cells, problem in rows:
            ...
    ```
    """
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        records = _numbered(path, reader)
        first = next(records, None)
        if first is None:
            raise ValueError(f"{path}: empty file, no header line")
        header = _check_header(path, *first)
        yield header, ((line, *_as_dict(header, cells))
                       for line, cells in records)


def read_csv_header(path, delimiter=","):
    """The column names of a CSV file (see `csv_rows`)."""
    with csv_rows(path, delimiter) as (header, _):
        return header


def _numbered(path, reader):
    """`(first line, cells)` of each non-blank record of a `csv.reader`."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader, None)
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{path}: not UTF-8 text ({error.reason}, byte "
                f"0x{error.object[error.start]:02x})") from None
        except csv.Error as error:
            raise ValueError(
                f"{path} line {reader.line_num}: not CSV ({error})") from None
        if cells is None:
            return
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        yield line, cells


def _check_header(path, line, cells):
    repeated = sorted({c for c in cells if cells.count(c) > 1})
    if repeated:
        raise ValueError(f"{path} line {line}: column(s) {repeated} appear "
                         "more than once in the header")
    return list(cells)


def _as_dict(header, cells):
    """`(cells as a dict, problem)`, padding a short row with empty cells."""
    problem = None
    if any(c.strip() for c in cells[len(header):]):
        problem = f"{len(cells)} cells, the header has {len(header)}"
    cells = cells[:len(header)] + [""] * (len(header) - len(cells))
    return dict(zip(header, cells)), problem
