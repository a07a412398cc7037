/* vu_plugin.h -- deprecated: include "vu_layer.h", vu's one public header. */
#include "vu_layer.h"
#define vu_debug_log vu_debug	/* the old name of vu_debug */
