/* Pure decisions of the ec2 plugin (no I/O), unit-tested over tables:
 * (filled in by its issue's work) */
#ifndef SABA_EC2_CLASSIFY_H
#define SABA_EC2_CLASSIFY_H
#endif
