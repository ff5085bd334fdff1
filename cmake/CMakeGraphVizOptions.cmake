# What scripts/architecture-graph draws: our layer libraries and the executable, nothing else.
set(GRAPHVIZ_GRAPH_NAME "oauth-manager layers")
set(GRAPHVIZ_EXTERNAL_LIBS FALSE)
set(GRAPHVIZ_GENERATE_PER_TARGET FALSE)
set(GRAPHVIZ_GENERATE_DEPENDERS FALSE)
set(GRAPHVIZ_IGNORE_TARGETS "oauth_manager_warnings" "oauth_manager_third_party"
    "oauth_manager_all")
