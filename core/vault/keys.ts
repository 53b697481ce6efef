/** Split unseal keys handed in as text: a JSON array, or keys separated by commas, spaces or newlines. */
export function parseKeys(text: string | undefined): string[] {
    const t = (text ?? "").trim();
    if (t.startsWith("[")) {
        try {
            const arr: unknown = JSON.parse(t);
            if (Array.isArray(arr)) {
                return arr.map(String).filter((k) => k !== "");
            }
        } catch {
            // Not JSON after all: read it in the separator form.
        }
    }
    return t.split(/[\s,]+/).filter((k) => k !== "");
}
