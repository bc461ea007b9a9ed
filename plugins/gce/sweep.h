/* The gce plugin's side of the fleet sweeper (plugins/lib/cloud_sweep.c). */
#ifndef SABA_GCE_SWEEP_H
#define SABA_GCE_SWEEP_H

#include "lib/cloud_sweep.h"

extern const struct saba_sweep_cloud saba_gce_sweep_cloud;

#endif
