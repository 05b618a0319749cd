/* placeholder: being written */
typedef int ow_placeholder_eve_json;
