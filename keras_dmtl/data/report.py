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
        """Records (or, in strict mode, raises) one unusable input.

        Args:
            what: str, the input: a file, or "<file> row N".
            reason: str, what is wrong, kept whole (on one line).
        """
        reason = " ".join(str(reason).split())
        message = f"{what}: {reason}"
        if self.strict:
            raise BadInputError(message)
        self.skipped.append((what, reason))

    def note(self, text):
        self.notes.append(text)

    def summary(self, limit=10):
        """What was kept and skipped, on several lines.

        The skipped inputs are counted by their whole reason (the `limit`
        most common reasons, then how many others), and the first `limit`
        are listed with their reasons.
        """
        lines = [f"{self.source}: {self.kept} examples kept"]
        if self.skipped:
            reasons = collections.Counter(r for _, r in self.skipped)
            common = reasons.most_common(limit)
            others = len(reasons) - len(common)
            lines.append(
                f"  skipped {len(self.skipped)}: "
                + "; ".join(f"{n} {r}" for r, n in common)
                + (f"; and {others} other reason" + "s" * (others > 1)
                   if others else "")
            )
            lines += [f"    {w}: {r}" for w, r in self.skipped[:limit]]
            if len(self.skipped) > limit:
                lines.append(f"    ... and {len(self.skipped) - limit} more")
        for task, count in sorted(self.unannotated.items()):
            lines.append(f"  {count} examples not annotated for '{task}'")
        lines += [f"  {text}" for text in self.notes]
        return "\n".join(lines)
