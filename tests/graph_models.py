"""The small torch model the graph tests trace: tests/test_graph.py imports it, and
tests/e2e/test_graph_view.py runs this file's source in a notebook's kernel (so it stays
self-contained: no ``__file__``, nothing from the tests).

``Net`` is a ``Block`` (conv, batch norm, relu) then a ``Sequential`` (flatten, linear), so a
traced graph has two named scopes under ``Net``. Called with one input it returns the linear's
output; with a second input ``y`` it also goes through dropout: ``(dropout(h) + y, h.sum())``.
"""

import torch


class Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.seq = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x, y=None):
        h = self.seq(self.block(x))
        if y is None:
            return h
        return self.drop(h) + y, h.sum()


def two_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs for ``Net`` that take the two-output path: a 2x3x8x8 batch and a 2x5 ``y``."""
    return (torch.randn(2, 3, 8, 8), torch.randn(2, 5))
