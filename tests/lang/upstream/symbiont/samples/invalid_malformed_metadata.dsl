metadata {
    version: 
    author: "Missing value above"
    description: "This has syntax errors"
    invalid_syntax: 
}