#ifndef FRAMEWISE_CDNNL_SHIM_H
#define FRAMEWISE_CDNNL_SHIM_H
#include <dnnl.h>

/* Debian's oneDNN is built with OpenMP (libgomp): the number of threads a
   primitive uses is the calling thread's OpenMP setting. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
#endif
