#!/usr/bin/python3
"""One training epoch of the same models as perf/nn_perf.c, in PyTorch (CPU):
ETTh1 training rows [0, 8640) z-scored, look-back 96, horizon 96, batches of
time origins x 7 channels (channel-independent rows), Adam.  Architectures,
batch sizes and learning rates mirror bench's defaults (forecasters/deep_*.c).

Prints "epoch MODEL MEDIAN_SECONDS MIN_SECONDS" lines like nn_perf.
Usage: nn_perf_torch.py --data ETTh1.csv [--threads T] [--repeats R] [--models a,b]"""
import argparse
import csv
import math
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("SKIPPED: python3-torch is not installed (apt-get install python3-torch)", file=sys.stderr)
    sys.exit(77)

L, H, TRAIN_ROWS = 96, 96, 8640


def load_etth1(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    values = torch.tensor([[float(v) for v in row[1:]] for row in rows[1:TRAIN_ROWS + 1]], dtype=torch.float32)
    mean = values.mean(0)
    std = values.std(0, unbiased=False)
    return (values - mean) / std


def revin(x):
    mean = x.mean(1, keepdim=True)
    std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
    return (x - mean) / std, mean, std


class DLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.seasonal = nn.Linear(L, H)
        self.trend = nn.Linear(L, H)
        nn.init.constant_(self.seasonal.weight, 1.0 / L)
        nn.init.constant_(self.trend.weight, 1.0 / L)
        self.pool = nn.AvgPool1d(25, stride=1)

    def forward(self, x):
        padded = torch.cat([x[:, :1].repeat(1, 12), x, x[:, -1:].repeat(1, 12)], 1)
        trend = self.pool(padded.unsqueeze(1)).squeeze(1)
        return self.seasonal(x - trend) + self.trend(trend)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(L, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 256), nn.ReLU(),
                                 nn.Dropout(0.1), nn.Linear(256, H))

    def forward(self, x):
        z, mean, std = revin(x)
        return self.net(z) * std + mean


class LSTNet(nn.Module):
    def __init__(self, kernel=6, cnn=50, rnn=50, skip_units=5, skip=24, highway=24):
        super().__init__()
        self.conv = nn.Conv1d(1, cnn, kernel)
        self.gru = nn.GRU(cnn, rnn, batch_first=True)
        self.skip_gru = nn.GRU(cnn, skip_units, batch_first=True)
        self.skip, self.highway = skip, highway
        self.steps = L - kernel + 1
        self.periods = self.steps // skip
        self.out = nn.Linear(rnn + skip * skip_units, H)
        self.hw = nn.Linear(highway, H)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        z, mean, std = revin(x)
        c = self.drop(torch.relu(self.conv(z.unsqueeze(1))))  # (B, C, T)
        seq = c.permute(0, 2, 1)                               # (B, T, C)
        r = self.gru(seq)[0][:, -1]
        tail = seq[:, -self.periods * self.skip:]              # (B, pt*skip, C)
        b, _, ch = tail.shape
        s = tail.reshape(b, self.periods, self.skip, ch).permute(0, 2, 1, 3).reshape(b * self.skip, self.periods, ch)
        s = self.skip_gru(s)[0][:, -1].reshape(b, -1)
        y = self.out(self.drop(torch.cat([r, s], 1))) + self.hw(z[:, -self.highway:])
        return y * std + mean


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ff, dropout):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm1, self.norm2 = nn.BatchNorm1d(d), nn.BatchNorm1d(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def bn(self, norm, x):
        b, p, d = x.shape
        return norm(x.reshape(b * p, d)).reshape(b, p, d)

    def forward(self, x):
        x = self.bn(self.norm1, x + self.drop(self.attn(x, x, x, need_weights=False)[0]))
        return self.bn(self.norm2, x + self.drop(self.ff(x)))


class PatchTST(nn.Module):
    def __init__(self, patch=16, stride=8, d=16, heads=4, ff=128, layers=3, dropout=0.3):
        super().__init__()
        self.patch, self.stride = patch, stride
        self.patches = (L + stride - patch) // stride + 1
        self.embed = nn.Linear(patch, d)
        self.pos = nn.Parameter(torch.empty(self.patches, d).uniform_(-0.02, 0.02))
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff, dropout) for _ in range(layers))
        self.head = nn.Linear(self.patches * d, H)

    def forward(self, x):
        z, mean, std = revin(x)
        z = torch.cat([z, z[:, -1:].repeat(1, self.stride)], 1).unfold(1, self.patch, self.stride)
        h = self.drop(self.embed(z) + self.pos)
        for layer in self.layers:
            h = layer(h)
        return self.head(h.flatten(1)) * std + mean


class DeepAR(nn.Module):
    """Teacher-forced LSTM likelihood over L + H - 1 steps (the training pass)."""

    def __init__(self, hidden=40, layers=2):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def loss(self, x, y):
        mean = x.mean(1, keepdim=True)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
        z = (torch.cat([x, y], 1) - mean) / std
        out = self.head(self.lstm(z[:, :-1].unsqueeze(2))[0])
        mu, sigma = out[..., 0], nn.functional.softplus(out[..., 1]) + 1e-4
        target = z[:, 1:]
        return (torch.log(sigma) + 0.5 * ((target - mu) / sigma) ** 2 + 0.5 * math.log(2 * math.pi)).mean()


MODELS = {  # name: (constructor, batch of time origins, learning rate)
    "dlinear": (DLinear, 32, 0.005),
    "mlp": (MLP, 32, 0.001),
    "lstnet": (LSTNet, 128, 0.001),
    "patchtst": (PatchTST, 128, 0.001),
    "deepar": (DeepAR, 64, 0.001),
}


def epoch_seconds(name, data, seed):
    make, batch, lr = MODELS[name]
    torch.manual_seed(seed)
    model = make()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    origins = torch.arange(L, TRAIN_ROWS - H + 1)
    channels = data.shape[1]
    start = time.perf_counter()
    order = origins[torch.randperm(len(origins))]
    for first in range(0, len(order), batch):
        o = order[first:first + batch]
        idx_in = o.unsqueeze(1) + torch.arange(-L, 0)
        idx_out = o.unsqueeze(1) + torch.arange(0, H)
        x = data[idx_in].permute(0, 2, 1).reshape(-1, L)   # (B*C, L) channel-independent rows
        y = data[idx_out].permute(0, 2, 1).reshape(-1, H)
        optimizer.zero_grad()
        if name == "deepar":
            loss = model.loss(x, y)
        else:
            loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    del channels
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_etth1(args.data)
    for name in MODELS:
        if name not in args.models.split(","):
            continue
        times = sorted(epoch_seconds(name, data, seed) for seed in range(args.repeats))
        print("epoch %s %.4f %.4f" % (name, statistics.median(times), times[0]), flush=True)


if __name__ == "__main__":
    main()
