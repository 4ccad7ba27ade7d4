#include "CLogitSystem.h"
#include <malloc.h>

int logit_release_free_heap(void) {
    return malloc_trim(0);
}
