"""Counts the checks of a reference script and prints "N passed, M failed"."""


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, ok, what):
        """Records one check; prints `what` when it failed."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}")

    def finish(self):
        """Prints the closing line; returns the exit status (1 on a failure)."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
