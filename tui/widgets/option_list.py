"""Page Up/Down in an OptionList that has no room to lay out its lines.

Textual 8.2's OptionList._move_page reads the line of the highlighted option from a map that _update_lines
leaves empty while the list's region is empty (a terminal so small that the list gets no height, or a list
not laid out yet), and raises KeyError, which ends the app: Ctrl+P then Page Up at 30×12, or Page Down in the
past-runs list at 20×8. The command palette's list is an OptionList too, so the fix is made on the class."""
from __future__ import annotations

from textual.widgets import OptionList

_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction) -> None:
    if self.highlighted is not None and self.highlighted not in self._index_to_line:
        return  # no lines yet: there is no page to move by (the highlight stays where it is)
    _move_page(self, direction)


def fix_option_list_paging() -> None:
    """Install the guard (once; calling again changes nothing)."""
    OptionList._move_page = _move_page_when_laid_out
