/* Shared fixtures of the report tests (tables, statistics, plots): published
 * tables and generated results.csv files.  Needs only cmocka and libc. */
#ifndef BENCH_TEST_SUPPORT_REPORTS_H
#define BENCH_TEST_SUPPORT_REPORTS_H

/* The header line of every results.csv. */
#define TEST_RESULTS_HEADER "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n"

/* Demšar (2006) §3.2.4, Table 6: AUC of four C4.5 variants on 14 data sets.
 * The table prints AUCs rounded to 3 decimals; its ranks (C4.5+cf 2.893,
 * C4.5+m+cf 1.964) show that C4.5+cf beat C4.5+m+cf on "voting", where both
 * print 0.975, so that entry is nudged to 0.97501 to reproduce the published
 * ranks. */
extern const double test_demsar_auc[14][4];
extern const char *const test_demsar_datasets[14];
extern const char *const test_demsar_variants[4];

/* Writes Demšar's table to path as a results.csv (task hcsc, metric auc, one
 * seed); fails the test when it cannot. */
void test_write_demsar_results(const char *path);

/* Writes to path a results.csv of eleven variants (model00 ... model10) on
 * twelve hcsc datasets (data0 ... data11), one seed, metric accuracy, with no
 * ties; fails the test when it cannot. */
void test_write_eleven_variants(const char *path);

#endif
