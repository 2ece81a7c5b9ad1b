metadata {
    version: "1.0",
    author: "Test Author",
    description: "A comprehensive test DSL file",
    license: "MIT"
}