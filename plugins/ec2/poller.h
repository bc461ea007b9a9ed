/* The ec2 plugin's background work: the thread of poller.c and the
 * fleet sweeper. */
#ifndef SABA_EC2_POLLER_H
#define SABA_EC2_POLLER_H

#include "self.h"

/* Start the sweeper (when its regions are configured) and the thread
 * (unless cloud_platform is "none").  SABA_OK or SABA_ERROR. */
int saba_ec2_background_start(struct saba_ec2 *e);

/* Stop both: IMDS requests in flight end at once; a retire in flight is
 * bounded by the core's retire.timeout. */
void saba_ec2_background_stop(struct saba_ec2 *e);

#endif
