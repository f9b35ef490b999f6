/* A stand-in bcryptprimitives.dll for running Go programs under Wine 8,
   which lacks it (make test-windows builds it with mingw). */
#include <windows.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	HMODULE h = LoadLibraryA("advapi32.dll");
	BOOLEAN (WINAPI *gen)(PVOID, ULONG) = (void *)GetProcAddress(h, "SystemFunction036");
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!gen || !gen(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
