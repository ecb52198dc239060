#!/usr/bin/python3
"""Generate the PyTorch reference vectors that tests/test_shift_reference.c
checks domain_shift/'s detector losses against.  Run once with Debian's
python3-torch (the pyenv python3 on PATH has no torch):

    /usr/bin/python3 tests/reference/gen_shift_reference.py

Each block writes tests/reference/shift/<block>.txt in the format of
tests/reference/nn/ (gen_nn_reference.py): a header line, then for every
tensor one line "name count" followed by one line of count values (%.9g).
Losses are computed in float64 from float32-representable inputs; the
gradients are those of the loss itself (no projection).

Blocks (definitions as in the C code and /work/shared/reference/domain_shift.md):
  focal      CenterNet's _neg_loss (alpha 2, beta 4) on clamped sigmoid logits,
             Gaussian targets of VOC boxes (stride 4) drawn with CenterNet's
             gaussian_radius and draw_umich_gaussian (src/lib/utils/image.py),
             and d/dlogits;
  reg_l1     CenterNet's RegL1Loss for the size (weight 0.1) and offset
             (weight 1) heads at the object centres, and d/dpred;
  bce        the pixel discriminators' BCE with logits (source 1, target 0),
             mean over pixels, and d/dlogits;
  prototypes PSN's category-dependent terms: batch prototypes weighted by
             detached class probabilities, running prototypes blended with a
             detached alpha = (cos + 1)/2, L_p = 0.5 (L_intra + L_inter) with
             margin 1, and d/dfeatures of both domains."""
import math
import os

import torch

import reference_vectors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shift")
torch.manual_seed(8)


def write(block, tensors):
    reference_vectors.write(OUT, "gen_shift_reference.py", block, tensors)


def as_float32(t):
    """Inputs are stored as %.9g and read as float by C: round them to float32 first."""
    return t.float().double()


# ---- focal loss on Gaussian targets -------------------------------------------------------
def gaussian_radius(det_size, min_overlap=0.7):
    height, width = det_size
    a1 = 1
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2 = 4
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def draw_umich_gaussian(heatmap, center, radius):
    diameter = 2 * radius + 1
    sigma = diameter / 6
    m = (diameter - 1) / 2
    y, x = torch.meshgrid(torch.arange(-m, m + 1, dtype=torch.float64),
                          torch.arange(-m, m + 1, dtype=torch.float64), indexing="ij")
    gaussian = torch.exp(-(x * x + y * y) / (2 * sigma * sigma))
    gaussian[gaussian < torch.finfo(torch.float64).eps * gaussian.max()] = 0
    cx, cy = int(center[0]), int(center[1])
    height, width = heatmap.shape
    left, right = min(cx, radius), min(width - cx, radius + 1)
    top, bottom = min(cy, radius), min(height - cy, radius + 1)
    patch = heatmap[cy - top:cy + bottom, cx - left:cx + right]
    g = gaussian[radius - top:radius + bottom, radius - left:radius + right]
    torch.maximum(patch, g, out=patch)


def neg_loss(pred, gt):
    """CenterNet src/lib/models/losses.py::_neg_loss."""
    pos_inds = gt.eq(1).double()
    neg_inds = gt.lt(1).double()
    neg_weights = torch.pow(1 - gt, 4)
    pos_loss = (torch.log(pred) * torch.pow(1 - pred, 2) * pos_inds).sum()
    neg_loss = (torch.log(1 - pred) * torch.pow(pred, 2) * neg_weights * neg_inds).sum()
    num_pos = pos_inds.sum()
    if num_pos == 0:
        return -neg_loss
    return -(pos_loss + neg_loss) / num_pos


def focal():
    classes, out, image_size = 3, 10, 40
    heatmap = torch.zeros(2, classes, out, out, dtype=torch.float64)
    # (image, class, VOC box x_min, y_min, x_max, y_max: inclusive 1-based pixels of a 40-pixel image)
    objects = [(0, 0, 5, 10, 24, 23), (0, 2, 24, 2, 34, 19), (0, 0, 14, 18, 25, 29),
               (1, 1, 1, 26, 26, 34), (1, 2, 31, 31, 38, 38)]
    for image, c, x_min, y_min, x_max, y_max in objects:
        # continuous [x_min - 1, x_max) pixels at stride 4, as CenterNet's dataset code feeds it
        x0, x1, y0, y1 = (x_min - 1) / 4, x_max / 4, (y_min - 1) / 4, y_max / 4
        w, h = x1 - x0, y1 - y0
        radius = max(0, int(gaussian_radius((math.ceil(h), math.ceil(w)))))
        draw_umich_gaussian(heatmap[image, c], ((x0 + x1) / 2, (y0 + y1) / 2), radius)
    boxes = torch.tensor([o for o in objects], dtype=torch.float64)
    heatmap = as_float32(heatmap)
    logits = as_float32(torch.randn(2, classes, out, out, dtype=torch.float64) * 2.5 - 1.0)
    logits[0, 1, 0, 0] = 11.0   # beyond the clamp at 1 - 1e-4: no gradient
    logits[1, 0, 9, 9] = -12.0  # below the clamp at 1e-4
    logits.requires_grad_(True)
    pred = torch.clamp(torch.sigmoid(logits), min=1e-4, max=1 - 1e-4)
    loss = neg_loss(pred, heatmap)
    loss.backward()
    write("focal", [("objects", boxes), ("logits", logits), ("target", heatmap), ("loss", loss), ("grad.logits", logits.grad)])


# ---- L1 size and offset heads -------------------------------------------------------------
def reg_l1():
    cells_side, max_objects, objects = 6, 4, 3
    cells = cells_side * cells_side
    tensors = []
    for head, weight in (("size", 0.1), ("offset", 1.0)):
        output = as_float32(torch.randn(1, 2, cells_side, cells_side, dtype=torch.float64) * 2)
        output.requires_grad_(True)
        index = torch.tensor([[7, 20, 33, 0]])  # the fourth slot is padding (mask 0)
        mask = torch.tensor([[1, 1, 1, 0]], dtype=torch.float64)
        scale = 4.0 if head == "size" else 1.0
        target = as_float32(torch.rand(1, max_objects, 2, dtype=torch.float64) * scale)
        # CenterNet RegL1Loss: gather at the centres, masked L1 sum over (mask.sum() + 1e-4)
        feat = output.permute(0, 2, 3, 1).reshape(1, cells, 2)
        pred = feat.gather(1, index.unsqueeze(2).expand(1, max_objects, 2))
        m = mask.unsqueeze(2).expand_as(pred)
        loss = torch.nn.functional.l1_loss(pred * m, target * m, reduction="sum") / (m.sum() + 1e-4)
        loss = weight * loss
        loss.backward()
        tensors += [(head + ".pred", output), (head + ".index", index[0, :objects].double()),
                    (head + ".target", target[0, :objects]), (head + ".weight", weight), (head + ".loss", loss),
                    (head + ".grad.pred", output.grad)]
    write("reg_l1", tensors)


# ---- pixel discriminator BCE ----------------------------------------------------------------
def bce():
    n, source, cells = 4, 2, 12
    logits = as_float32(torch.randn(n, cells, dtype=torch.float64) * 3)
    logits.requires_grad_(True)
    targets = torch.zeros(n, cells, dtype=torch.float64)
    targets[:source] = 1.0
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="mean")
    loss.backward()
    write("bce", [("logits", logits), ("target", targets), ("loss", loss), ("grad.logits", logits.grad)])


# ---- PSN prototypes ----------------------------------------------------------------------------
def prototype_terms(features, probabilities, running):
    """Batch prototypes z (classes, dim) of one domain and their blend with running."""
    p = probabilities.detach()                                   # detached class weights
    z = torch.einsum("ncx,ndx->cd", p, features) / (p.sum(dim=(0, 2)).unsqueeze(1) + 1e-6)
    cosine = torch.nn.functional.cosine_similarity(running, z.detach(), dim=1, eps=0.0)
    cosine = torch.nan_to_num(cosine, nan=0.0)                   # zero running prototype: cos 0
    alpha = ((cosine + 1) / 2).unsqueeze(1)                      # detached blend weight
    return z, alpha, (1 - alpha) * running + alpha * z


def distance(a, b):
    return ((a - b) ** 2).mean()


def prototype_loss(ps, pt, margin=1.0):
    classes = ps.shape[0]
    intra = sum(distance(ps[c], pt[c]) for c in range(classes)) / classes
    inter = 0
    for i in range(classes):
        for j in range(i + 1, classes):
            for a, b in ((ps[i], ps[j]), (pt[i], pt[j]), (ps[i], pt[j]), (pt[i], ps[j])):
                s = torch.sqrt(distance(a, b))
                inter = inter + ((margin - s) / margin) ** 2 * torch.clamp(margin - s, min=0) ** 2
    inter = inter / (2 * classes * (classes - 1))
    return 0.5 * (intra + inter)


def prototypes():
    n, dim, classes, cells = 2, 4, 3, 9
    tensors = []
    blended = []
    features = {}
    for domain in ("source", "target"):
        f = as_float32(torch.randn(n, dim, cells, dtype=torch.float64) * 1.5)
        f.requires_grad_(True)
        # peaked class weights, so the prototypes differ and some pairs lie beyond the margin
        p = as_float32(torch.rand(n, classes, cells, dtype=torch.float64) ** 4)
        running = as_float32(torch.rand(classes, dim, dtype=torch.float64) * 1.2)
        if domain == "target":
            running[1] = 0.0  # first update of a class: cos 0, alpha 1/2
        z, alpha, b = prototype_terms(f, p, running)
        features[domain] = f
        blended.append(b)
        tensors += [(domain + ".features", f), (domain + ".probabilities", p), (domain + ".running", running),
                    (domain + ".z", z), (domain + ".alpha", alpha), (domain + ".blended", b)]
    loss = prototype_loss(blended[0], blended[1])
    loss.backward()
    ps, pt = blended
    gaps = [math.sqrt(distance(a, b).item()) for i in range(classes) for j in range(i + 1, classes)
            for a, b in ((ps[i], ps[j]), (pt[i], pt[j]), (ps[i], pt[j]), (pt[i], ps[j]))]
    inside = sum(g < 1.0 for g in gaps)
    print("prototypes: %d of %d inter-class pairs inside the margin" % (inside, len(gaps)))
    assert 0 < inside < len(gaps), "both branches of the inter-class term must occur"
    tensors += [("loss", loss), ("grad.source.features", features["source"].grad),
                ("grad.target.features", features["target"].grad)]
    write("prototypes", tensors)


if __name__ == "__main__":
    focal()
    reg_l1()
    bce()
    prototypes()
