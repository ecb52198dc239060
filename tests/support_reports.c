#include "support_reports.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

const double test_demsar_auc[14][4] = {
    {0.763, 0.768, 0.771, 0.798}, {0.599, 0.591, 0.590, 0.569}, {0.954, 0.971, 0.968, 0.967},
    {0.628, 0.661, 0.654, 0.657}, {0.882, 0.888, 0.886, 0.898}, {0.936, 0.931, 0.916, 0.931},
    {0.661, 0.668, 0.609, 0.685}, {0.583, 0.583, 0.563, 0.625}, {0.775, 0.838, 0.866, 0.875},
    {1.000, 1.000, 1.000, 1.000}, {0.940, 0.962, 0.965, 0.962}, {0.619, 0.666, 0.614, 0.669},
    {0.972, 0.981, 0.97501, 0.975}, {0.957, 0.978, 0.946, 0.970},
};

const char *const test_demsar_datasets[14] = {"adult", "breast_cancer", "wisconsin", "cmc", "ionosphere",
                                              "iris", "liver", "lung_cancer", "lymphography", "mushroom",
                                              "primary_tumor", "rheum", "voting", "wine"};

const char *const test_demsar_variants[4] = {"C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"};

/* Writes path: the results.csv header, then row(file, d, v) for every
 * dataset d and variant v. */
static void write_grid(const char *path, int datasets, int variants, void (*row)(FILE *file, int d, int v))
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(TEST_RESULTS_HEADER, file);
    for (int d = 0; d < datasets; d++)
        for (int v = 0; v < variants; v++)
            row(file, d, v);
    assert_int_equal(fclose(file), 0);
}

static void demsar_row(FILE *file, int d, int v)
{
    fprintf(file, "c%d%d,hcsc,%s,cv,c45,%s,,1,auc,%.5f,ok\n", d, v, test_demsar_datasets[d], test_demsar_variants[v],
            test_demsar_auc[d][v]);
}

static void eleven_variants_row(FILE *file, int d, int v)
{
    fprintf(file, "c%d_%d,hcsc,data%d,knn,m,model%02d,,1,accuracy,%.4f,ok\n", d, v, d, v,
            0.5 + 0.01 * v + 0.003 * ((d * 7 + v * 3) % 11));
}

void test_write_demsar_results(const char *path)
{
    write_grid(path, 14, 4, demsar_row);
}

void test_write_eleven_variants(const char *path)
{
    write_grid(path, 12, 11, eleven_variants_row);
}
