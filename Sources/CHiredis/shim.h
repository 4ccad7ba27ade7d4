#ifndef LOGIT_CHIREDIS_SHIM_H
#define LOGIT_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
