"""What a reader kept, skipped and left unannotated, for the summary."""

import collections


class BadInputError(ValueError):
    """Raised in strict mode for an input that cannot be used.

    The message names the file (and line or field) and what is wrong.
    """


class ReadReport:
    """Counts what a dataset reader skipped and why.

    In lenient mode (the default) a reader records each unusable file or row
    here and goes on; in strict mode it raises `BadInputError` with the same
    message instead. The summary is printed before training, so nothing is
    dropped silently.

    Args:
        source: str, the name of the dataset, such as `"UTKFace"`.
        strict: bool, raise on the first bad input instead of skipping it.
    """

    def __init__(self, source, strict=False):
        self.source = source
        self.strict = strict
        self.kept = 0
        self.skipped = []  # (what, reason) pairs
        self.unannotated = collections.Counter()  # task -> count
        self.notes = []

    def skip(self, what, reason):
        """Records (or, in strict mode, raises) one unusable input."""
        message = f"{what}: {reason}"
        if self.strict:
            raise BadInputError(message)
        self.skipped.append((what, reason))

    def note(self, text):
        self.notes.append(text)

    def summary(self, limit=10):
        lines = [f"{self.source}: {self.kept} examples kept"]
        if self.skipped:
            reasons = collections.Counter(
                reason.split(":")[0] for _, reason in self.skipped
            )
            lines.append(
                f"  skipped {len(self.skipped)}: "
                + ", ".join(f"{n} {r}" for r, n in reasons.most_common())
            )
            lines += [f"    {w}: {r}" for w, r in self.skipped[:limit]]
            if len(self.skipped) > limit:
                lines.append(f"    ... and {len(self.skipped) - limit} more")
        for task, count in sorted(self.unannotated.items()):
            lines.append(f"  {count} examples not annotated for '{task}'")
        lines += [f"  {text}" for text in self.notes]
        return "\n".join(lines)
