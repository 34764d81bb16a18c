// The module is header-only (static inline functions Swift inlines); SwiftPM needs one C source file.
#include "KernelsCSupport.h"
