import { parseKeys } from "./keys";

// Unseal keys handed in as text (stdin, config, prompt).

test.each<[string, string | undefined, string[]]>([
    ["a JSON array", '["k1","k2","k3"]', ["k1", "k2", "k3"]],
    ["a JSON array with blanks around it", '  ["k1", "k2"]\n', ["k1", "k2"]],
    ["a JSON array dropping empty entries", '["k1","",  "k2"]', ["k1", "k2"]],
    ["a JSON array of other values, as text", "[1,2]", ["1", "2"]],
    ["commas", "k1,k2,k3", ["k1", "k2", "k3"]],
    ["commas and spaces", "k1, k2 ,k3", ["k1", "k2", "k3"]],
    ["newlines", "k1\nk2\r\nk3\n", ["k1", "k2", "k3"]],
    ["a mix, with doubled separators", "k1,,k2\n\nk3, ", ["k1", "k2", "k3"]],
    ["base64 keys (with + / =)", "aGVsbG8+/w==,d29ybGQ=", ["aGVsbG8+/w==", "d29ybGQ="]],
    ["a bracket that is not JSON, read as separated keys", "[k1,k2", ["[k1", "k2"]],
    ["an empty text", "", []],
    ["blanks only", " \n , ", []],
    ["nothing", undefined, []],
])("%s", (_name, text, keys) => {
    expect(parseKeys(text)).toEqual(keys);
});
