// OpenBLAS' CBLAS interface plus its own controls (threads, core name).
#include <cblas.h>
#ifdef __linux__
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
char *openblas_get_config(void);
#endif
