/*
 * bcryptprimitives.dll shim for the Wine test lane.
 *
 * Wine 8.0 ships no bcryptprimitives.dll, but deno.exe imports ProcessPrng
 * from it, so the Windows loader refuses to start deno.exe (c0000135).
 * This DLL provides that single export on top of bcrypt.dll, which Wine has.
 * Test infrastructure only: never ship it.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    /* BCryptGenRandom takes a ULONG length: fill larger buffers in chunks. */
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk,
                                            BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
