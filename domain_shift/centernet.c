#include "domain_shift/centernet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/layers.h"

double shift_gaussian_radius(double height, double width, double min_overlap)
{
    double b1 = height + width;
    double c1 = width * height * (1 - min_overlap) / (1 + min_overlap);
    double r1 = (b1 + sqrt(b1 * b1 - 4 * c1)) / 2;
    double b2 = 2 * (height + width);
    double c2 = (1 - min_overlap) * width * height;
    double r2 = (b2 + sqrt(b2 * b2 - 16 * c2)) / 2;
    double a3 = 4 * min_overlap;
    double b3 = -2 * min_overlap * (height + width);
    double c3 = (min_overlap - 1) * width * height;
    double r3 = (b3 + sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
    return fmin(r1, fmin(r2, r3));
}

/* draw_umich_gaussian: a (2r+1)^2 Gaussian with sigma = (2r+1)/6, values below
 * eps·max zeroed, merged by element-wise max. */
static void draw_gaussian(float *heatmap, int out, int cx, int cy, int radius)
{
    double sigma = (2 * radius + 1) / 6.0;
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++) {
            int x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= out || y >= out)
                continue;
            double value = exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            if (value < 2.220446049250313e-16)
                value = 0;
            float *cell = &heatmap[y * out + x];
            if ((float)value > *cell)
                *cell = (float)value;
        }
}

void shift_build_targets(shift_targets *t, const shift_object *objects, size_t object_count, size_t max_objects,
                         int image_size, int flip)
{
    int out = image_size / SHIFT_STRIDE;
    memset(t->heatmap, 0, sizeof(float) * SHIFT_CLASS_COUNT * (size_t)out * (size_t)out);
    t->object_count = 0;
    for (size_t k = 0; k < object_count && t->object_count < max_objects; k++) {
        /* VOC inclusive pixels -> continuous [x0, x1) in output cells */
        double x0 = objects[k].box.x_min - 1, x1 = objects[k].box.x_max;
        double y0 = objects[k].box.y_min - 1, y1 = objects[k].box.y_max;
        if (flip) {
            double flipped0 = image_size - x1, flipped1 = image_size - x0;
            x0 = flipped0, x1 = flipped1;
        }
        x0 /= SHIFT_STRIDE, x1 /= SHIFT_STRIDE, y0 /= SHIFT_STRIDE, y1 /= SHIFT_STRIDE;
        double width = x1 - x0, height = y1 - y0;
        if (width <= 0 || height <= 0)
            continue;
        double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
        int ix = (int)cx, iy = (int)cy;
        if (ix >= out) ix = out - 1;
        if (iy >= out) iy = out - 1;
        double radius = shift_gaussian_radius(ceil(height), ceil(width), 0.7);
        int r = radius > 0 ? (int)radius : 0;
        draw_gaussian(t->heatmap + (size_t)objects[k].class_index * out * out, out, ix, iy, r);
        size_t slot = t->object_count++;
        t->index[slot] = iy * out + ix;
        t->size[2 * slot] = (float)width;
        t->size[2 * slot + 1] = (float)height;
        t->offset[2 * slot] = (float)(cx - ix);
        t->offset[2 * slot + 1] = (float)(cy - iy);
    }
}

size_t shift_focal_positives(const float *target, size_t count)
{
    size_t positives = 0;
    for (size_t i = 0; i < count; i++)
        positives += target[i] == 1.0f;
    return positives;
}

void shift_focal_loss_range(float *dlogits, const float *logits, const float *target, size_t count, double alpha,
                            double beta, double scale, double *positive_sum, double *negative_sum)
{
    const double low = 1e-4, high = 1 - 1e-4;
    double positive_loss = 0, negative_loss = 0;
    for (size_t i = 0; i < count; i++) {
        double raw = 1.0 / (1.0 + exp(-(double)logits[i]));
        int clamped = raw < low || raw > high;
        double p = raw < low ? low : raw > high ? high : raw;
        double gradient;
        if (target[i] == 1.0f) {
            positive_loss += pow(1 - p, alpha) * log(p);
            /* d/dx of -(1-p)^a log p, with dp/dx = p(1-p) */
            gradient = alpha * pow(1 - p, alpha) * p * log(p) - pow(1 - p, alpha + 1);
        } else {
            double w = pow(1 - target[i], beta);
            negative_loss += w * pow(p, alpha) * log(1 - p);
            /* d/dx of -w p^a log(1-p) */
            gradient = -w * (alpha * pow(p, alpha) * (1 - p) * log(1 - p) - pow(p, alpha + 1));
        }
        if (dlogits != NULL && !clamped)
            dlogits[i] += (float)(gradient * scale);
    }
    *positive_sum = positive_loss;
    *negative_sum = negative_loss;
}

double shift_focal_loss(float *dlogits, const float *logits, const float *target, size_t count, double alpha,
                        double beta)
{
    size_t positives = shift_focal_positives(target, count);
    double scale = positives > 0 ? 1.0 / (double)positives : 1.0, positive_loss = 0, negative_loss = 0;
    shift_focal_loss_range(dlogits, logits, target, count, alpha, beta, scale, &positive_loss, &negative_loss);
    return -(positive_loss + negative_loss) * scale;
}

double shift_reg_l1_loss(float *dpred, const float *pred, size_t cells, const int32_t *index, const float *target,
                         size_t object_count, double weight)
{
    double normaliser = 2.0 * (double)object_count + 1e-4, sum = 0;
    for (size_t k = 0; k < object_count; k++)
        for (size_t c = 0; c < 2; c++) {
            size_t at = c * cells + (size_t)index[k];
            double difference = (double)pred[at] - target[2 * k + c];
            sum += fabs(difference);
            if (dpred != NULL && difference != 0)
                dpred[at] += (float)(weight * (difference > 0 ? 1.0 : -1.0) / normaliser);
        }
    return weight * sum / normaliser;
}

typedef struct peak {
    float score;
    int32_t position; /* class * cells + cell */
} peak;

static int by_score(const void *left, const void *right)
{
    const peak *a = left, *b = right;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

size_t shift_decode(shift_detection *out, size_t top_k, const float *heatmap_logits, const float *size_map,
                    const float *offset_map, int out_size, size_t image, float *scratch, int32_t *argmax_scratch)
{
    size_t cells = (size_t)out_size * (size_t)out_size, total = SHIFT_CLASS_COUNT * cells;
    float *heat = scratch, *pooled = scratch + total;
    for (size_t i = 0; i < total; i++)
        heat[i] = (float)(1.0 / (1.0 + exp(-(double)heatmap_logits[i])));
    nn_maxpool2d_forward(pooled, argmax_scratch, heat, 1, SHIFT_CLASS_COUNT, (size_t)out_size, (size_t)out_size, 3, 1,
                         1);
    peak *peaks = (peak *)(void *)(scratch + 2 * total); /* (total) peaks at most */
    size_t count = 0;
    for (size_t i = 0; i < total; i++)
        if (heat[i] == pooled[i])
            peaks[count++] = (peak){heat[i], (int32_t)i};
    qsort(peaks, count, sizeof *peaks, by_score);
    size_t kept = count < top_k ? count : top_k;
    double limit = out_size * SHIFT_STRIDE;
    for (size_t k = 0; k < kept; k++) {
        size_t cell = (size_t)peaks[k].position % cells;
        int class_index = (int)((size_t)peaks[k].position / cells);
        double cx = (double)(cell % out_size) + offset_map[cell], cy = (double)(cell / out_size) + offset_map[cells + cell];
        double w = fmax(size_map[cell], 0.0), h = fmax(size_map[cells + cell], 0.0);
        double x0 = (cx - w / 2) * SHIFT_STRIDE, x1 = (cx + w / 2) * SHIFT_STRIDE;
        double y0 = (cy - h / 2) * SHIFT_STRIDE, y1 = (cy + h / 2) * SHIFT_STRIDE;
        out[k] = (shift_detection){
            .image = image,
            .class_index = class_index,
            .score = peaks[k].score,
            .box = {fmax(x0 + 1, 1), fmax(y0 + 1, 1), fmin(x1, limit), fmin(y1, limit)},
        };
        if (out[k].box.x_max < out[k].box.x_min)
            out[k].box.x_max = out[k].box.x_min;
        if (out[k].box.y_max < out[k].box.y_min)
            out[k].box.y_max = out[k].box.y_min;
    }
    return kept;
}

void shift_grl_forward(float *out, const float *in, size_t count)
{
    if (out != in)
        memcpy(out, in, count * sizeof *out);
}

void shift_grl_backward(float *din, const float *dout, double lambda, size_t count)
{
    for (size_t i = 0; i < count; i++)
        din[i] -= (float)(lambda * dout[i]);
}

void shift_prototypes_batch(float *z, float *weight_sums, const float *features, const float *probabilities,
                            size_t n, size_t dim, size_t classes, size_t cells)
{
    memset(z, 0, classes * dim * sizeof *z);
    for (size_t c = 0; c < classes; c++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t x = 0; x < cells; x++)
                sum += probabilities[(i * classes + c) * cells + x];
        weight_sums[c] = (float)sum;
    }
    /* z (classes, dim) += W_i (classes, cells) · F_i^T (cells, dim) */
    for (size_t i = 0; i < n; i++)
        nn_gemm(0, 1, classes, dim, cells, 1.0f, probabilities + i * classes * cells, cells, features + i * dim * cells,
                cells, 1.0f, z, dim);
    for (size_t c = 0; c < classes; c++)
        for (size_t k = 0; k < dim; k++)
            z[c * dim + k] /= weight_sums[c] + 1e-6f;
}

void shift_prototypes_batch_backward(float *dfeatures, const float *dz, const float *weight_sums,
                                     const float *probabilities, size_t n, size_t dim, size_t classes, size_t cells)
{
    /* dF_i (dim, cells) += sum_c dz[c]^T w_i[c] / (S_c + eps): a rank-1 product per class */
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < classes; c++)
            nn_gemm(1, 0, dim, cells, 1, 1.0f / (weight_sums[c] + 1e-6f), dz + c * dim, dim,
                    probabilities + (i * classes + c) * cells, cells, 1.0f, dfeatures + i * dim * cells, cells);
}

void shift_prototypes_blend(float *blended, float *alpha, const float *running, const float *z, size_t classes,
                            size_t dim)
{
    for (size_t c = 0; c < classes; c++) {
        double dot = 0, norm_p = 0, norm_z = 0;
        for (size_t k = 0; k < dim; k++) {
            dot += (double)running[c * dim + k] * z[c * dim + k];
            norm_p += (double)running[c * dim + k] * running[c * dim + k];
            norm_z += (double)z[c * dim + k] * z[c * dim + k];
        }
        double cosine = norm_p > 0 && norm_z > 0 ? dot / sqrt(norm_p * norm_z) : 0.0;
        double a = (cosine + 1) / 2;
        alpha[c] = (float)a;
        for (size_t k = 0; k < dim; k++)
            blended[c * dim + k] = (float)((1 - a) * running[c * dim + k] + a * z[c * dim + k]);
    }
}

/* D(a, b) = mean_k (a_k - b_k)^2 */
static double mean_square_distance(const float *a, const float *b, size_t dim)
{
    double sum = 0;
    for (size_t k = 0; k < dim; k++) {
        double d = (double)a[k] - b[k];
        sum += d * d;
    }
    return sum / (double)dim;
}

/* Adds coefficient · dD/da to da and its negative to db. */
static void add_distance_gradient(float *da, float *db, const float *a, const float *b, size_t dim, double coefficient)
{
    for (size_t k = 0; k < dim; k++) {
        double g = coefficient * 2.0 * ((double)a[k] - b[k]) / (double)dim;
        if (da != NULL)
            da[k] += (float)g;
        if (db != NULL)
            db[k] -= (float)g;
    }
}

double shift_prototype_loss(float *dsource, float *dtarget, const float *source, const float *target,
                            size_t classes, size_t dim, double margin)
{
    double intra = 0;
    for (size_t c = 0; c < classes; c++) {
        intra += mean_square_distance(source + c * dim, target + c * dim, dim) / (double)classes;
        add_distance_gradient(dsource ? dsource + c * dim : NULL, dtarget ? dtarget + c * dim : NULL,
                              source + c * dim, target + c * dim, dim, 0.5 / (double)classes);
    }
    double inter = 0, scale = classes > 1 ? 1.0 / (2.0 * classes * (classes - 1)) : 0.0;
    for (size_t i = 0; i < classes; i++)
        for (size_t j = i + 1; j < classes; j++) {
            const float *a[4] = {source + i * dim, target + i * dim, source + i * dim, target + i * dim};
            const float *b[4] = {source + j * dim, target + j * dim, target + j * dim, source + j * dim};
            float *da[4] = {dsource ? dsource + i * dim : NULL, dtarget ? dtarget + i * dim : NULL,
                            dsource ? dsource + i * dim : NULL, dtarget ? dtarget + i * dim : NULL};
            float *db[4] = {dsource ? dsource + j * dim : NULL, dtarget ? dtarget + j * dim : NULL,
                            dtarget ? dtarget + j * dim : NULL, dsource ? dsource + j * dim : NULL};
            for (int pair = 0; pair < 4; pair++) {
                double distance = mean_square_distance(a[pair], b[pair], dim), s = sqrt(distance);
                if (s >= margin)
                    continue;
                double x = margin - s; /* ((m-s)/m)^2 · (m-s)^2 = x^4 / m^2 */
                inter += scale * x * x * x * x / (margin * margin);
                if (s > 0) {
                    double d_term_ds = -4.0 * x * x * x / (margin * margin);
                    add_distance_gradient(da[pair], db[pair], a[pair], b[pair], dim,
                                          0.5 * scale * d_term_ds / (2.0 * s));
                }
            }
        }
    return 0.5 * (intra + inter);
}
