#!/usr/bin/env python3
"""The same encoder and MoCo v2 training step as bench's hcsc (perf/hcsc_epoch.c) in
PyTorch on the CPU, for the epoch-time ratios of issues 7 and 21.  Skipped (exit 0
with a message) when torch is not installed.  Usage:
    python3 perf/hcsc_torch_epoch.py [steps=20] [batch=256] [channels=32,64,128] [threads=1] [bn=ghost]
The whole batch goes through each layer at once, as PyTorch is used; batch norm
is bench's ghost BN (statistics per group of 32 images, shuffled for the key
branch; bn=ghost), or plain full-batch BN (bn=batch), which is not the recipe
but shows what PyTorch's fused batch-norm kernel would reach.  Prints CPU and wall seconds per step and the
extrapolated seconds per 60000-image epoch (CPU / threads, and wall)."""
import os
import sys
import time

# The thread pools start with torch: fix their size first, or "1 thread" runs
# intra-op work on every core and process CPU time counts all of them.
_threads = sys.argv[4] if len(sys.argv) > 4 else "1"
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, _threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("SKIPPED: python3-torch is not installed")
    sys.exit(0)


GROUP = 32  # ghost batch-norm groups, as bench's bn_group_size


class GhostBatchNorm(nn.BatchNorm2d):
    """Training-mode statistics per group of GROUP images, as bench's ghost BN: the
    convolution sees the whole batch, batch norm one group at a time (group 0 keeps
    the running statistics).  Of the ways to write it this one measured fastest
    (folding the groups into the channel axis took 1.8x as long; per-group
    var_mean 2.9x), within 2 % of plain full-batch BN."""

    def forward(self, x):
        if not self.training or x.shape[0] <= GROUP:
            return super().forward(x)
        chunks = x.split(GROUP)
        out = [super().forward(chunks[0])]
        out += [F.batch_norm(c, None, None, self.weight, self.bias, True, 0.0, self.eps) for c in chunks[1:]]
        return torch.cat(out)


def encoder(channels, ghost, hidden=128, dim=128):
    layers, cin = [], 1
    norm = GhostBatchNorm if ghost else nn.BatchNorm2d
    for i, c in enumerate(channels):
        layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), norm(c), nn.ReLU(inplace=True)]
        layers += [nn.MaxPool2d(2)] if i + 1 < len(channels) else [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        cin = c
    return nn.Sequential(*layers, nn.Linear(cin, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    channels = [int(c) for c in (sys.argv[3] if len(sys.argv) > 3 else "32,64,128").split(",")]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    bn = sys.argv[5] if len(sys.argv) > 5 else "ghost"
    if bn not in ("ghost", "batch"):
        print(f"bn must be ghost or batch, not {bn}", file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    query, key = encoder(channels, bn == "ghost"), encoder(channels, bn == "ghost")
    key.load_state_dict(query.state_dict())
    for p in key.parameters():
        p.requires_grad = False
    queue = F.normalize(torch.randn(4096, 128), dim=1)
    optimizer = torch.optim.SGD(query.parameters(), lr=0.06, momentum=0.9, weight_decay=1e-4)
    images = torch.rand(batch * 4, 1, 28, 28)

    def step(x_q, x_k):
        with torch.no_grad():
            for pq, pk in zip(query.parameters(), key.parameters()):
                pk.mul_(0.99).add_(pq.detach(), alpha=0.01)
            perm = torch.randperm(batch)
            k = F.normalize(key(x_k[perm]), dim=1)[torch.argsort(perm)]
        q = F.normalize(query(x_q), dim=1)
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.t()], dim=1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step(images[:batch], images[batch:2 * batch])  # warm-up
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for s in range(steps):
        a = (s % 3) * batch
        step(images[a:a + batch], images[a + batch:a + 2 * batch])
    per_step = (time.process_time() - start_cpu) / steps / threads
    wall = (time.perf_counter() - start_wall) / steps
    print(f"torch {torch.__version__}, batch {batch}, channels {channels}, {threads} thread(s), bn {bn}, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    print(f"CPU seconds per step: {per_step:.4f} (wall {wall:.4f}); training seconds per epoch "
          f"(CPU / threads): {per_step * (60000 // batch):.1f}; wall seconds per epoch: {wall * (60000 // batch):.1f}")


if __name__ == "__main__":
    main()
