#!/usr/bin/python3
"""Generate the PyTorch reference vectors that tests/test_nn_reference.c checks
nn/ against: composite blocks (MLP, LSTM and GRU over 5 steps, one transformer
encoder block, conv2d + batchnorm + pools).  Run once with Debian's python3-torch:

    /usr/bin/python3 tests/reference/gen_nn_reference.py

Each block writes tests/reference/nn/<block>.txt: for every tensor one line
"name count" followed by one line of count values (%.9g).  The loss is
sum(output * projection), so the stored gradients are those of that scalar.
Weights use PyTorch's own layout and names; the C test reads them by name."""
import os

import torch

import reference_vectors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn")


def write(block, tensors):
    reference_vectors.write(OUT, "gen_nn_reference.py", block, tensors)


def run(block, module, inputs, extra=()):
    """Forward, loss = sum(out * projection), backward; dump params, inputs, output, grads."""
    with torch.no_grad():
        # Off the default init (LayerNorm/BatchNorm start at 1 and 0), so every
        # weight's role shows in the output and gradients.
        for p in module.parameters():
            p.add_(0.2 * torch.randn_like(p))
    for x in inputs:
        x[1].requires_grad_(True)
    out = module(*[x for _, x in inputs])
    if isinstance(out, tuple):
        out = out[0]
    projection = torch.rand_like(out) * 2 - 1
    (out * projection).sum().backward()
    tensors = []
    for name, p in module.named_parameters():
        tensors.append((name, p))
    for name, x in inputs:
        tensors.append((name, x))
    tensors.append(("projection", projection))
    tensors.append(("output", out))
    for name, p in module.named_parameters():
        tensors.append(("grad." + name, p.grad))
    for name, x in inputs:
        tensors.append(("grad." + name, x.grad))
    tensors.extend(extra(module) if callable(extra) else extra)
    write(block, tensors)


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(5, 8)
        self.fc2 = torch.nn.Linear(8, 6)
        self.norm = torch.nn.LayerNorm(6)
        self.fc3 = torch.nn.Linear(6, 3)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = torch.nn.functional.gelu(self.fc2(h))
        return torch.tanh(self.fc3(self.norm(h)))


class ConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 3, 3, stride=1, padding=1)
        self.bn = torch.nn.BatchNorm2d(3)
        self.conv2 = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv1(x)))
        h = torch.nn.functional.max_pool2d(h, 2)
        h = self.conv2(h).mean(dim=(2, 3))
        return self.fc(h)


class Recurrent(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(3, 4, batch_first=True)

    def forward(self, x, h0, c0=None):
        if c0 is None:
            return self.rnn(x, h0)[0]
        return self.rnn(x, (h0, c0))[0]


def main():
    torch.manual_seed(20261129)
    run("mlp", MLP(), [("input", torch.randn(6, 5))])

    conv = ConvNet()
    conv.train()
    run("convnet", conv, [("input", torch.randn(2, 2, 8, 8))],
        extra=lambda m: [("bn.running_mean", m.bn.running_mean), ("bn.running_var", m.bn.running_var)])

    run("lstm", Recurrent(torch.nn.LSTM),
        [("input", torch.randn(2, 5, 3)), ("h0", torch.randn(1, 2, 4)), ("c0", torch.randn(1, 2, 4))])
    run("gru", Recurrent(torch.nn.GRU), [("input", torch.randn(2, 5, 3)), ("h0", torch.randn(1, 2, 4))])

    block = torch.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                             activation="gelu", batch_first=True)
    block.train()
    run("encoder", block, [("input", torch.randn(2, 5, 8))])


if __name__ == "__main__":
    main()
