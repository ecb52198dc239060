#!/usr/bin/env python3
"""Reference values for tests/test_hcsc_loss.c, computed with PyTorch exactly as the
official HCSC code forms its logits (hcsc/hcsc.py: forward, get_protos):
  instance:  logits = cat([q·k⁺, (q·queueᵀ) * mask]) / T ; CE(target 0)
  prototype: logits = cat([q·c_y, (q·C_negᵀ) * mask]) / cat([φ_y, φ_neg]) ; CE(target 0)
Inputs are fixed closed-form arrays (sin/cos of indices) the C test rebuilds.
Run: /usr/bin/python3 tests/data/hcsc/gen_loss_reference.py  (prints C initialisers)."""
import math
import torch
import torch.nn.functional as F

B, D, K, M = 3, 4, 5, 6
T = 0.2


def table(rows, cols, a, b):
    return torch.tensor([[math.sin(a * (i * cols + j) + b) for j in range(cols)] for i in range(rows)],
                        dtype=torch.float64)


q = F.normalize(table(B, D, 0.7, 0.1), dim=1).requires_grad_(True)
k = F.normalize(table(B, D, 1.3, 0.4), dim=1)
queue = F.normalize(table(K, D, 0.9, 0.2), dim=1)
mask = torch.tensor([[(i + 2 * j) % 3 != 0 for j in range(K)] for i in range(B)], dtype=torch.float64)

l_pos = (q * k).sum(1, keepdim=True)
l_neg = (q @ queue.t()) * mask
instance = F.cross_entropy(torch.cat([l_pos, l_neg], 1) / T, torch.zeros(B, dtype=torch.long))
(grad_instance,) = torch.autograd.grad(instance, q)

centroids = F.normalize(table(M, D, 0.5, 0.3), dim=1)
phi = torch.tensor([0.1 + 0.05 * m for m in range(M)], dtype=torch.float64)
labels = [1, 4, 1]
candidates = [0, 2, 3]  # {0..max-1} \ labels with max label 4
pmask = torch.tensor([[(i + j) % 2 == 0 for j in range(len(candidates))] for i in range(B)], dtype=torch.float64)
pos = (q * centroids[labels]).sum(1, keepdim=True)
neg = (q @ centroids[candidates].t()) * pmask
temp = torch.cat([phi[labels].unsqueeze(1), phi[candidates].unsqueeze(0).repeat(B, 1)], 1)
proto = F.cross_entropy(torch.cat([pos, neg], 1) / temp, torch.zeros(B, dtype=torch.long))
(grad_proto,) = torch.autograd.grad(proto, q)


def c_array(name, tensor):
    values = ", ".join("%.12g" % v for v in tensor.detach().flatten().tolist())
    print("static const double %s[] = {%s};" % (name, values))


print("static const double reference_instance_loss = %.12g;" % instance.item())
c_array("reference_instance_dq", grad_instance)
print("static const double reference_prototype_loss = %.12g;" % proto.item())
c_array("reference_prototype_dq", grad_proto)
