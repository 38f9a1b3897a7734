namespace Stratos.Island.Firmware.Hal
{
    // NOR-like flash used by the event log. Addresses are byte offsets from the start of the region
    // (page p starts at p * PageSize). Semantics the event log relies on:
    // - ErasePage sets every byte of the page to 0xFF;
    // - Program can only clear bits (new = old AND data); setting a bit needs an erase;
    // - a power cut can interrupt either, leaving a prefix of the operation done.
    // Both return false when the device reports an error; the caller then treats the page as unusable.
    public interface IFlash
    {
        // Bytes per erasable page.
        int PageSize { get; }

        // Number of pages in the region.
        int PageCount { get; }

        // Copies count bytes from address into buffer[offset..].
        void Read(int address, byte[] buffer, int offset, int count);

        // Erases one page (all bytes become 0xFF).
        bool ErasePage(int pageIndex);

        // Programs count bytes of data[offset..] at address (bits can only go from 1 to 0).
        bool Program(int address, byte[] data, int offset, int count);
    }
}
