metadata {
    version: "1.0"
}