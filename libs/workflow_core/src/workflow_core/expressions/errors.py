"""``ExpressionError``: what compiling or evaluating an expression can raise.

Positions are offsets in the source *as the author wrote it* (before the
``==`` and bare-helper rewrites), following JSONata's convention of pointing
just past the offending token, so the designer can share diagnostics with the
npm ``jsonata`` package.
"""

from __future__ import annotations

from workflow_core.errors import ExpressionCode, SluiceError


class ExpressionError(SluiceError):
    """A JSONata expression failed to compile or to evaluate.

    ``jsonata_code`` is the engine's own code (for example ``T2001`` or
    ``S0203``) when the engine raised it; ``node_path`` is filled in by callers
    that know which step the expression belongs to.
    """

    code: ExpressionCode

    def __init__(
        self,
        code: ExpressionCode,
        message: str,
        *,
        source: str,
        position: int | None = None,
        node_path: str | None = None,
        jsonata_code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.code = code
        self.source = source
        self.position = position
        self.node_path = node_path
        self.jsonata_code = jsonata_code

    def __str__(self) -> str:
        where = f" at {self.position}" if self.position is not None else ""
        return f"{self.code}{where}: {self.message}"
