metadata {
    version: "1.0"
    // Missing closing brace