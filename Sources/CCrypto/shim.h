#ifndef FRAMEWISE_CCRYPTO_SHIM_H
#define FRAMEWISE_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
