"""A small table as the indexer cuts it, shared by the tests of evidence matching and re-scoring."""

from __future__ import annotations

from reportqa.records import Passage

CAPTION = "Table 8. Locations where orders and notices are recorded"
TABLE_DOC = (f"Recording matters.\n{CAPTION}\nRecording location\tNo. of respondents\n"
             "Police National Computer\t93\nNiche\t63\nSource: survey.\nTable 9. Agencies informed\nSchools\t14")


def table_passages() -> list[Passage]:
    """A table as the indexer cuts it: the table (caption included in its offsets), its rows (rendered with
    the caption, placed at the row alone), a later part of the table (caption repeated, rows' offsets) and
    the next table's row."""
    def at(text: str) -> tuple[int, int]:
        start = TABLE_DOC.index(text)
        return start, start + len(text)

    table = at(CAPTION + "\nRecording location\tNo. of respondents\nPolice National Computer\t93")
    pnc, niche, schools = at("Police National Computer\t93"), at("Niche\t63"), at("Schools\t14")
    return [Passage("prose", "d", "text", ("7.5",), 0, 18, "Recording matters."),
            Passage("table", "d", "table", ("7.5",), *table, TABLE_DOC[table[0]:table[1]]),
            Passage("row-pnc", "d", "table_row", ("7.5",), *pnc,
                    f"{CAPTION} — Recording location: Police National Computer; No. of respondents: 93"),
            Passage("part-2", "d", "table", ("7.5",), niche[0], niche[1] + 16,
                    f"{CAPTION}\nRecording location\tNo. of respondents\nNiche\t63\nSource: survey."),
            Passage("row-schools", "d", "table_row", ("7.5",), *schools,
                    "Table 9. Agencies informed — Schools; 14")]
