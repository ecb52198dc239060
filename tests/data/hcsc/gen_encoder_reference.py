#!/usr/bin/env python3
"""Reference output of bench's HCSC encoder (hcsc/encoder.c) computed by PyTorch on a tiny
configuration: conv3x3(no bias)-BN-ReLU-maxpool2 x2, conv3x3-BN-ReLU-global-avg-pool,
Linear-ReLU-Linear, L2 normalisation; batch-norm in training mode per group of 2 images
(ghost BN), and in evaluation mode with the running statistics that training left.
Weights and inputs are closed-form (sin) so tests/test_hcsc_encoder.c rebuilds them.
Run: /usr/bin/python3 tests/data/hcsc/gen_encoder_reference.py  (prints C initialisers)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
CHANNELS, HIDDEN, DIM, SIDE, BATCH, GROUP = (2, 3, 4), 5, 4, 8, 4, 2


def closed_form(count, tensor_index):
    return torch.tensor([0.5 * math.sin(0.37 * (e + 1) + tensor_index) for e in range(count)])


blocks, cin = [], 1
for c in CHANNELS:
    blocks.append((nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)))
    cin = c
head0, head2 = nn.Linear(cin, HIDDEN), nn.Linear(HIDDEN, DIM)
# bench's tensor order: block l conv.weight, bn.weight, bn.bias (running stats are buffers), then head.
tensors = []
for conv, bn in blocks:
    tensors += [conv.weight, bn.weight, bn.bias]
tensors += [head0.weight, head0.bias, head2.weight, head2.bias]
with torch.no_grad():
    for t, p in enumerate(tensors):
        p.copy_(closed_form(p.numel(), t).view_as(p))


def forward(x):
    for i, (conv, bn) in enumerate(blocks):
        x = F.relu(bn(conv(x)))
        x = F.max_pool2d(x, 2) if i + 1 < len(blocks) else x.mean((2, 3))
    feature = x
    return F.normalize(head2(F.relu(head0(feature))), dim=1), feature


images = torch.tensor([math.sin(0.11 * i) ** 2 for i in range(BATCH * SIDE * SIDE)]).view(BATCH, 1, SIDE, SIDE)
for _, bn in blocks:
    bn.train()
outputs, features = [], []
for g in range(BATCH // GROUP):  # ghost batch-norm: each group normalised on its own statistics
    o, f = forward(images[g * GROUP:(g + 1) * GROUP])
    outputs.append(o)
    features.append(f)
train_output, train_feature = torch.cat(outputs), torch.cat(features)
# bench updates running statistics from group 0 only: replay that for the evaluation pass.
for _, bn in blocks:
    bn.reset_running_stats()
forward(images[:GROUP])
for _, bn in blocks:
    bn.eval()
eval_output, eval_feature = forward(images)


def c_array(name, tensor):
    print("static const double %s[] = {%s};" % (name, ", ".join("%.12g" % v for v in tensor.flatten().tolist())))


c_array("reference_train_output", train_output.detach())
c_array("reference_train_feature", train_feature.detach())
c_array("reference_eval_output", eval_output.detach())
c_array("reference_eval_feature", eval_feature.detach())
