"""`ask --attach PATH`: the files read and checked before anything is sent. No Textual import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import print_err
from fleet_tui.domain.attachments import (
    Attachment,
    AttachmentError,
    AttachmentRules,
    check_total,
    read_attachment,
)
from fleet_tui.services.launch import Target


def rules_of(target: Target) -> AttachmentRules:
    resolved = target.resolved
    return resolved.settings.attachment_rules() if resolved is not None else AttachmentRules()


def read_files(
    paths: Sequence[str], rules: AttachmentRules, err: TextIO
) -> tuple[Attachment, ...] | int:
    """The files, or the usage exit status after saying what is wrong with each one refused."""
    files: list[Attachment] = []
    refused: list[str] = []
    for path in paths:
        try:
            files.append(read_attachment(path, max_mb=rules.max_mb))
        except AttachmentError as exc:
            refused.append(str(exc))
    if not refused:
        too_much = check_total([f.info for f in files], rules.max_mb)
        refused += [too_much] if too_much else []
    for reason in refused:
        print_err(f"--attach: {reason}", err)
    if refused:
        print_err("nothing was sent.", err)
        return ExitCode.USAGE
    return tuple(files)
