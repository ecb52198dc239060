#include "hcsc/cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"

/* Rows of points processed per GEMM in the assignment step: bounds the scratch
 * (chunk × k floats) whatever n is. */
#define ASSIGN_CHUNK 1024

void hcsc_l2_normalize_rows(float *rows, size_t count, size_t d)
{
    for (size_t i = 0; i < count; i++) {
        float *row = rows + i * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++)
            sum += (double)row[j] * row[j];
        /* torch.nn.functional.normalize's eps: a zero row stays zero. */
        double norm = sqrt(sum);
        float scale = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
        for (size_t j = 0; j < d; j++)
            row[j] *= scale;
    }
}

static float squared_norm(const float *row, size_t d)
{
    double sum = 0.0;
    for (size_t j = 0; j < d; j++)
        sum += (double)row[j] * row[j];
    return (float)sum;
}

static float squared_distance_between(const float *a, const float *b, size_t d)
{
    double sum = 0.0;
    for (size_t j = 0; j < d; j++) {
        double diff = (double)a[j] - b[j];
        sum += diff * diff;
    }
    return (float)sum;
}

int hcsc_assign_nearest(int32_t *assignment, float *squared_distance, const float *points, size_t n,
                        const float *centroids, size_t k, size_t d, bench_error *error)
{
    size_t chunk = n < ASSIGN_CHUNK ? n : ASSIGN_CHUNK;
    float *dots = malloc((chunk * k + k) * sizeof *dots);
    if (dots == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "k-means: cannot allocate %zu×%zu distances", chunk, k);
    float *centroid_norms = dots + chunk * k;
    for (size_t c = 0; c < k; c++)
        centroid_norms[c] = squared_norm(centroids + c * d, d);
    for (size_t start = 0; start < n; start += chunk) {
        size_t rows = n - start < chunk ? n - start : chunk;
        /* dots (rows, k) = points[start..] (rows, d) · centroidsᵀ (d, k) */
        nn_gemm(0, 1, rows, k, d, 1.0f, points + start * d, d, centroids, d, 0.0f, dots, k);
        for (size_t r = 0; r < rows; r++) {
            const float *row = dots + r * k;
            float point_norm = squared_norm(points + (start + r) * d, d);
            size_t best = 0;
            float best_distance = INFINITY;
            for (size_t c = 0; c < k; c++) {
                float distance = point_norm + centroid_norms[c] - 2.0f * row[c];
                if (distance < best_distance) {
                    best_distance = distance;
                    best = c;
                }
            }
            assignment[start + r] = (int32_t)best;
            if (squared_distance != NULL)
                squared_distance[start + r] = best_distance > 0.0f ? best_distance : 0.0f;
        }
    }
    free(dots);
    return BENCH_OK;
}

/* Arthur & Vassilvitskii's D² seeding. */
static void kmeans_plus_plus(float *centroids, float *min_distance, const float *points, size_t n, size_t d,
                             size_t k, bench_rng *rng)
{
    size_t first = (size_t)bench_rng_below(rng, n);
    memcpy(centroids, points + first * d, d * sizeof *centroids);
    for (size_t i = 0; i < n; i++)
        min_distance[i] = squared_distance_between(points + i * d, centroids, d);
    for (size_t c = 1; c < k; c++) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += min_distance[i];
        size_t chosen = n - 1;
        if (total > 0.0) {
            double target = bench_rng_uniform(rng) * total, cumulative = 0.0;
            for (size_t i = 0; i < n; i++) {
                cumulative += min_distance[i];
                if (cumulative > target) {
                    chosen = i;
                    break;
                }
            }
        } else {
            chosen = (size_t)bench_rng_below(rng, n); /* all points coincide with centroids */
        }
        float *centroid = centroids + c * d;
        memcpy(centroid, points + chosen * d, d * sizeof *centroid);
        for (size_t i = 0; i < n; i++) {
            float distance = squared_distance_between(points + i * d, centroid, d);
            if (distance < min_distance[i])
                min_distance[i] = distance;
        }
    }
}

/* One run: seeding then Lloyd steps until the assignment stops changing. */
static int kmeans_run(float *centroids, int32_t *assignment, float *distance, size_t *counts, double *sums,
                      const float *points, size_t n, size_t d, size_t k, size_t iterations, bench_rng *rng,
                      bench_error *error)
{
    kmeans_plus_plus(centroids, distance, points, n, d, k, rng);
    for (size_t i = 0; i < n; i++)
        assignment[i] = -1;
    int32_t *previous = NULL;
    for (size_t iteration = 0;; iteration++) {
        if (previous == NULL) {
            previous = malloc(n * sizeof *previous);
            if (previous == NULL)
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "k-means: cannot allocate %zu labels", n);
        }
        memcpy(previous, assignment, n * sizeof *previous);
        int status = hcsc_assign_nearest(assignment, distance, points, n, centroids, k, d, error);
        if (status != BENCH_OK) {
            free(previous);
            return status;
        }
        memset(counts, 0, k * sizeof *counts);
        for (size_t i = 0; i < n; i++)
            counts[assignment[i]]++;
        /* An empty cluster takes the point farthest from its centroid (from a
         * cluster that can spare it) and moves onto it, so k clusters survive
         * even when seeds coincide. */
        int repaired = 0;
        for (size_t c = 0; c < k; c++) {
            if (counts[c] != 0)
                continue;
            size_t far = n;
            for (size_t i = 0; i < n; i++)
                if (counts[assignment[i]] > 1 && (far == n || distance[i] > distance[far]))
                    far = i;
            if (far == n)
                break;
            counts[assignment[far]]--;
            assignment[far] = (int32_t)c;
            counts[c] = 1;
            distance[far] = 0.0f;
            memcpy(centroids + c * d, points + far * d, d * sizeof *centroids);
            repaired = 1;
        }
        if ((!repaired && memcmp(previous, assignment, n * sizeof *previous) == 0) || iteration == iterations)
            break;
        memset(sums, 0, k * d * sizeof *sums);
        for (size_t i = 0; i < n; i++) {
            double *sum = sums + (size_t)assignment[i] * d;
            const float *point = points + i * d;
            for (size_t j = 0; j < d; j++)
                sum[j] += point[j];
        }
        for (size_t c = 0; c < k; c++)
            if (counts[c] > 0)
                for (size_t j = 0; j < d; j++)
                    centroids[c * d + j] = (float)(sums[c * d + j] / (double)counts[c]);
    }
    free(previous);
    return BENCH_OK;
}

int hcsc_kmeans(float *centroids, int32_t *assignment, float *squared_distance, double *inertia,
                const float *points, size_t n, size_t d, size_t k, size_t iterations, size_t restarts,
                bench_rng *rng, bench_error *error)
{
    if (k == 0 || k > n)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "k-means: %zu clusters asked of %zu points", k, n);
    if (restarts == 0)
        restarts = 1;
    float *run_centroids = malloc(k * d * sizeof *run_centroids);
    int32_t *run_assignment = malloc(n * sizeof *run_assignment);
    float *run_distance = malloc(n * sizeof *run_distance);
    size_t *counts = malloc(k * sizeof *counts);
    double *sums = malloc(k * d * sizeof *sums);
    int status = BENCH_OK;
    if (!run_centroids || !run_assignment || !run_distance || !counts || !sums) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "k-means: cannot allocate work space for %zu points", n);
        goto done;
    }
    double best = INFINITY;
    for (size_t restart = 0; restart < restarts; restart++) {
        status = kmeans_run(run_centroids, run_assignment, run_distance, counts, sums, points, n, d, k, iterations,
                            rng, error);
        if (status != BENCH_OK)
            goto done;
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += run_distance[i];
        if (total < best) {
            best = total;
            memcpy(centroids, run_centroids, k * d * sizeof *centroids);
            memcpy(assignment, run_assignment, n * sizeof *assignment);
            if (squared_distance != NULL)
                memcpy(squared_distance, run_distance, n * sizeof *squared_distance);
        }
    }
    if (inertia != NULL)
        *inertia = best;
done:
    free(run_centroids);
    free(run_assignment);
    free(run_distance);
    free(counts);
    free(sums);
    return status;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double hcsc_percentile(const float *values, size_t count, double q, float *scratch)
{
    memcpy(scratch, values, count * sizeof *scratch);
    qsort(scratch, count, sizeof *scratch, compare_floats);
    double position = q / 100.0 * (double)(count - 1);
    size_t low = (size_t)floor(position);
    size_t high = low + 1 < count ? low + 1 : low;
    double fraction = position - (double)low;
    return (double)scratch[low] + fraction * ((double)scratch[high] - (double)scratch[low]);
}

void hcsc_concentration(float *phi, const float *squared_distance, const int32_t *assignment, size_t n,
                        size_t k, double temperature)
{
    double *sum_root = calloc(k, sizeof *sum_root);
    size_t *members = calloc(k, sizeof *members);
    float *scratch = malloc(k * sizeof *scratch);
    if (sum_root == NULL || members == NULL || scratch == NULL) {
        /* Without memory the estimate degrades to the uniform one. */
        for (size_t m = 0; m < k; m++)
            phi[m] = (float)temperature;
        free(sum_root), free(members), free(scratch);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sum_root[assignment[i]] += sqrt((double)squared_distance[i]);
        members[assignment[i]]++;
    }
    double largest = 0.0;
    double *estimate = sum_root; /* reused in place */
    for (size_t m = 0; m < k; m++) {
        estimate[m] = members[m] > 1 ? sum_root[m] / (double)members[m] / log((double)members[m] + 10.0) : 0.0;
        if (estimate[m] > largest)
            largest = estimate[m];
    }
    for (size_t m = 0; m < k; m++) {
        if (members[m] <= 1)
            estimate[m] = largest;
        phi[m] = (float)estimate[m];
    }
    double low = hcsc_percentile(phi, k, 10.0, scratch), high = hcsc_percentile(phi, k, 90.0, scratch);
    double mean = 0.0;
    for (size_t m = 0; m < k; m++) {
        double clipped = estimate[m] < low ? low : (estimate[m] > high ? high : estimate[m]);
        estimate[m] = clipped;
        mean += clipped;
    }
    mean /= (double)k;
    for (size_t m = 0; m < k; m++)
        phi[m] = (float)(mean > 0.0 ? temperature * estimate[m] / mean : temperature);
    free(sum_root), free(members), free(scratch);
}

void hcsc_hierarchy_free(hcsc_hierarchy *hierarchy)
{
    if (hierarchy == NULL)
        return;
    for (size_t l = 0; l < HCSC_MAX_LEVELS; l++) {
        hcsc_level *level = &hierarchy->levels[l];
        free(level->centroids);
        free(level->phi);
        free(level->image_to_cluster);
        free(level->parent);
        free(level->parent_logits);
    }
    memset(hierarchy, 0, sizeof *hierarchy);
}

int hcsc_hierarchy_build(hcsc_hierarchy *out, const float *features, size_t n, size_t d,
                         const size_t *cluster_counts, size_t level_count, double temperature, size_t iterations,
                         size_t restarts, uint64_t seed, bench_error *error)
{
    memset(out, 0, sizeof *out);
    if (level_count == 0 || level_count > HCSC_MAX_LEVELS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hierarchy: %zu levels asked, 1..%d supported", level_count,
                          HCSC_MAX_LEVELS);
    out->level_count = level_count;
    out->image_count = n;
    out->dim = d;
    int status = BENCH_OK;
    int32_t *assignment = malloc(n * sizeof *assignment);
    float *distance = malloc(n * sizeof *distance);
    if (assignment == NULL || distance == NULL) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "hierarchy: cannot allocate labels for %zu images", n);
        goto done;
    }
    const float *points = features;
    size_t point_count = n;
    for (size_t l = 0; l < level_count; l++) {
        hcsc_level *level = &out->levels[l];
        size_t k = cluster_counts[l];
        if (k == 0 || k > point_count) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "hierarchy: level %zu asks for %zu clusters of %zu points (counts must shrink)",
                                l + 1, k, point_count);
            goto done;
        }
        level->cluster_count = k;
        level->centroids = malloc(k * d * sizeof *level->centroids);
        level->phi = malloc(k * sizeof *level->phi);
        level->image_to_cluster = malloc(n * sizeof *level->image_to_cluster);
        if (!level->centroids || !level->phi || !level->image_to_cluster) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "hierarchy: cannot allocate level %zu", l + 1);
            goto done;
        }
        char purpose[32];
        snprintf(purpose, sizeof purpose, "hkmeans-level-%zu", l);
        bench_rng rng;
        bench_rng_derive(&rng, seed, purpose);
        status = hcsc_kmeans(level->centroids, assignment, distance, NULL, points, point_count, d, k, iterations,
                             restarts, &rng, error);
        if (status != BENCH_OK)
            goto done;
        hcsc_concentration(level->phi, distance, assignment, point_count, k, temperature);
        hcsc_l2_normalize_rows(level->centroids, k, d);
        if (l == 0) {
            memcpy(level->image_to_cluster, assignment, n * sizeof *assignment);
        } else {
            hcsc_level *child = &out->levels[l - 1];
            child->parent = malloc(point_count * sizeof *child->parent);
            child->parent_logits = malloc(point_count * k * sizeof *child->parent_logits);
            if (child->parent == NULL || child->parent_logits == NULL) {
                status = BENCH_FAIL(error, BENCH_NO_MEMORY, "hierarchy: cannot allocate level %zu parents", l);
                goto done;
            }
            memcpy(child->parent, assignment, point_count * sizeof *assignment);
            for (size_t i = 0; i < n; i++)
                level->image_to_cluster[i] = child->parent[child->image_to_cluster[i]];
            /* parent_logits (M_{l-1}, M_l) = C^{l-1} (C^l)ᵀ, both normalised */
            nn_gemm(0, 1, point_count, k, d, 1.0f, child->centroids, d, level->centroids, d, 0.0f,
                    child->parent_logits, k);
        }
        level->max_label = 0;
        for (size_t i = 0; i < n; i++)
            if (level->image_to_cluster[i] > level->max_label)
                level->max_label = level->image_to_cluster[i];
        points = level->centroids;
        point_count = k;
    }
done:
    free(assignment);
    free(distance);
    if (status != BENCH_OK)
        hcsc_hierarchy_free(out);
    return status;
}
