/* placeholder: being written */
typedef int ow_placeholder_flow_key;
