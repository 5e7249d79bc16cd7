"""Radio buttons and check boxes whose empty state looks empty.

Textual draws both as a half-block box with the same mark inside, on or off, told apart only by
colour: in a terminal that renders the half blocks as solid cells (or to a reader of the screen)
an unticked box reads `▐X▌`, as ticked as a ticked one. These draw "( )"/"(●)" and "[ ]"/"[✓]".
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


def _render(button: RadioButton | Checkbox, on: str, off: str) -> Content:
    mark_style = button.get_visual_style("toggle--button") if button.value else None
    label = button.label.pad(1, 1).stylize_before(button.get_visual_style("toggle--label"))
    mark = Content.styled(on, mark_style) if mark_style is not None else Content(off)
    return Content.assemble(mark, label)


class ClearRadioButton(RadioButton):
    def render(self) -> Content:
        return _render(self, "(●)", "( )")


class ClearCheckbox(Checkbox):
    def render(self) -> Content:
        return _render(self, "[✓]", "[ ]")
