/* (placeholder: filled in by its issue's work) */
#include "ec2_classify.h"
